"""Inference on folders of photos and videos, and crack measurements."""
from .backends import (BACKENDS, BackendUnavailableError, CrackBackend,
                       PytorchBackend, RunnerBackend, build_backend,
                       slide_inference)
from .model_index import (MissingWeightsError, ModelEntry, UnknownModelError,
                          find_model, format_model_table, load_model_index,
                          resolve_model)
from .model_loading import (CheckpointError, init_model,
                            load_model_checkpoint, read_checkpoint)
from .inference import (CrackInferencer, CrackPrediction, InputFile,
                        OutputLayout, UnreadableInputError, collect_inputs,
                        count_frames, read_frames, read_image)
from .quantification import (CRACK_TYPES, CSV_COLUMNS, MEASUREMENT_FIELDS,
                             classify_crack, clean_mask, measure_cracks,
                             save_measurements, summarize_measurements)

__all__ = [
    'BACKENDS', 'BackendUnavailableError', 'CrackBackend', 'PytorchBackend',
    'RunnerBackend', 'build_backend', 'slide_inference', 'CrackInferencer',
    'CrackPrediction', 'InputFile', 'OutputLayout', 'UnreadableInputError',
    'collect_inputs', 'count_frames', 'read_frames', 'read_image',
    'CRACK_TYPES', 'CSV_COLUMNS', 'MEASUREMENT_FIELDS', 'classify_crack',
    'clean_mask', 'measure_cracks', 'save_measurements',
    'summarize_measurements', 'MissingWeightsError', 'ModelEntry',
    'UnknownModelError', 'find_model', 'format_model_table',
    'load_model_index', 'resolve_model', 'CheckpointError', 'init_model',
    'load_model_checkpoint', 'read_checkpoint'
]
