from .crack_local_visualizer import CrackLocalVisualizer

__all__ = ['CrackLocalVisualizer']
