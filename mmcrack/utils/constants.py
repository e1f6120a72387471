"""The values every part of mmcrack agrees on: labels and file endings."""
#: Labels of a crack mask (and class indices of two-channel logits).
BACKGROUND = 0
CRACK = 1
#: Mask value of pixels that losses and metrics leave out.
IGNORE_INDEX = 255
#: The values a crack mask holds.
MASK_VALUES = (BACKGROUND, CRACK, IGNORE_INDEX)
#: File endings read as photos by the datasets, converters and tools
#: (compared in lower case).
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
#: Test-pipeline steps that read or reshape the ground truth: inference and
#: export drop them (there is no mask to read).
LABEL_TRANSFORMS = ('LoadAnnotations', 'EvaluateAtInputSize')
