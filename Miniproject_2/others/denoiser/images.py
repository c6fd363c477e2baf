"""Images as ``Model`` takes them: checked, scaled to [0, 1] on the model's device, padded to the network's grid."""
from torch import arange

from ..checks import is_tensor


def check_images(name, images):
    """Refuse anything but a real tensor of shape (N, 3, H, W) with H, W >= 1, naming the argument ``name``."""
    if not is_tensor(images):
        raise TypeError(f"{name} must be a tensor of images, got {type(images).__name__}")
    if images.is_complex() or str(images.dtype) == "torch.bool":
        raise TypeError(f"{name} must hold real numbers (uint8 or float) in 0-255, got {images.dtype}")
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"{name} must have shape (N, 3, H, W) with 3 colour channels, got {tuple(images.shape)}")
    if min(images.shape[2:]) < 1:
        raise ValueError(f"{name} must have images of at least 1x1 pixels, got {tuple(images.shape)}")


def to_unit(images, name, device):
    """Return ``images`` (0-255) as float32 in [0, 1] on ``device``, clamped; refuse NaN and inf."""
    x = images.to(device).float()
    if not x.isfinite().all().item():
        raise ValueError(f"{name} contains NaN or infinite values; expected images in 0-255")
    return x.clamp(0, 255).div_(255)


def pad_to_multiple(x, multiple):
    """Pad images by edge replication (bottom and right) to a multiple of ``multiple`` pixels.

    Shape:
        (N, C, H, W) -> (N, C, ceil(H / multiple) * multiple, ceil(W / multiple) * multiple)
    """
    _, _, h, w = x.shape
    if h % multiple == 0 and w % multiple == 0:
        return x
    rows = arange(-((-h) // multiple) * multiple, device=x.device).clamp(max=h - 1)
    cols = arange(-((-w) // multiple) * multiple, device=x.device).clamp(max=w - 1)
    return x.index_select(2, rows).index_select(3, cols)
