"""The Noise2Noise denoiser's machinery: networks, model files, images, augmentation and training safeguards."""
from . import augment, averaging, guard, images, networks, serialization, snapshot, weighting
