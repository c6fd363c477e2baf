"""Image quality metrics, computed as the course's test script does."""
import torch


def psnr(denoised, clean, max_range=1.0):
    """Mean over images of the per-image PSNR in dB.

    Args:
        denoised, clean: images on the scale [0, max_range].
        max_range: the peak value (1 for images divided by 255).

    Shape:
        (N, C, H, W) each.
    """
    if denoised.shape != clean.shape:
        raise ValueError(f"psnr: shapes differ, {tuple(denoised.shape)} and {tuple(clean.shape)}")
    mse = ((denoised.double() - clean.double()) ** 2).flatten(1).mean(1)
    return (20 * torch.log10(torch.tensor(float(max_range))) - 10 * torch.log10(mse)).mean().item()


def psnr_uint8(noisy, clean):
    """PSNR of two uint8 (0-255) image tensors, on [0, 1] as the course computes it."""
    return psnr(noisy.double() / 255, clean.double() / 255)


def validation_psnr(model, val_input, val_target, batch=100):
    """The course grader's measurement: ``model.predict`` on uint8 inputs in batches of 100, outputs moved to
    the CPU, both sides divided by 255, then ``psnr``."""
    outputs = [model.predict(val_input.narrow(0, b, min(batch, val_input.shape[0] - b))).cpu()
               for b in range(0, val_input.shape[0], batch)]
    return psnr(torch.cat(outputs) / 255.0, val_target.double() / 255.0)
