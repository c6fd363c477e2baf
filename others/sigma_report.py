"""PSNR against the noise level: the noisy input, the best Gaussian blur, BM3D with the true sigma and model files.

Clean images: a fixed subset of a course-format validation set (the grading photos by default). For each sigma,
Gaussian noise of that standard deviation (0-255 scale) is added once, with a seed of its own, then rounded and
clipped to uint8 as the course's data is, and every method denoises the same noisy images.

BM3D (Mäkinen, Azzari and Foi; the ``bm3d`` package, free for non-commercial use only) is a reference for reports
only, never part of the submission. It takes about 2 s per 32x32 colour image on one core, so its PSNRs are kept in
a JSON file and recomputed only on request.
"""
import json
import math
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from others.metrics import psnr

SIGMAS = (10, 15, 25, 35, 50)
BLUR_WIDTHS = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.7, 2.0, 2.5)  # Gaussian blur standard deviations
BM3D_LICENCE = ("BM3D: Y. Mäkinen, L. Azzari, A. Foi, Tampere University (the bm3d package); its licence allows "
                "informational, non-commercial use only, with reference to the authors")


def noise_seed(sigma):
    """The seed of the noise at ``sigma``: fixed per level, so a report over any subset of levels reuses BM3D's."""
    return 1000 + SIGMAS.index(sigma) if sigma in SIGMAS else 2000 + round(10 * sigma)


def noisy_copy(clean, sigma, seed=None):
    """``clean`` (uint8) plus Gaussian noise of standard deviation ``sigma``, rounded and clipped to uint8, drawn
    with ``seed`` (default: the level's own, ``noise_seed(sigma)``).

    Shape:
        (N, 3, H, W) -> (N, 3, H, W)
    """
    generator = torch.Generator().manual_seed(noise_seed(sigma) if seed is None else seed)
    noise = torch.randn(clean.shape, generator=generator, dtype=torch.float64) * sigma
    return (clean.double() + noise).round().clamp(0, 255).to(torch.uint8)


def per_image_psnr(images, clean):
    """PSNR in dB of each image (0-255 values) against ``clean``, as a list."""
    mse = ((images.double() - clean.double()) / 255).pow(2).flatten(1).mean(1)
    return (-10 * torch.log10(mse)).tolist()


def gaussian_blur(images, width):
    """Blur (N, C, H, W) images by a Gaussian of standard deviation ``width`` pixels (reflected borders)."""
    radius = max(1, math.ceil(3 * width))
    taps = torch.arange(-radius, radius + 1, dtype=torch.float64)
    kernel = torch.exp(-taps ** 2 / (2 * width ** 2))
    kernel = (kernel / kernel.sum()).to(torch.float32)
    n, c, h, w = images.shape
    x = F.pad(images.float().reshape(n * c, 1, h, w), (radius, radius, radius, radius), mode="reflect")
    x = F.conv2d(x, kernel.view(1, 1, 1, -1))
    x = F.conv2d(x, kernel.view(1, 1, -1, 1))
    return x.view(n, c, h, w)


def best_blur(noisy, clean):
    """The blur width of BLUR_WIDTHS with the highest mean PSNR (an oracle's choice), and that PSNR."""
    scores = {width: psnr(gaussian_blur(noisy, width) / 255, clean.double() / 255) for width in BLUR_WIDTHS}
    width = max(scores, key=scores.get)
    return width, scores[width]


def bm3d_colour(noisy, sigma):
    """Colour BM3D of each uint8 image with the true ``sigma`` (0-255 scale); returns 0-255 floats."""
    import numpy
    from bm3d import bm3d_rgb
    out = []
    for image in noisy:
        array = image.permute(1, 2, 0).double().numpy() / 255
        out.append(torch.from_numpy(numpy.ascontiguousarray(bm3d_rgb(array, sigma / 255))).permute(2, 0, 1))
    return torch.stack(out).clamp(0, 1) * 255


def bm3d_results(path, clean, sigmas, recompute=False, progress=None):
    """{sigma: mean PSNR} of colour BM3D, read from ``path`` or computed (``recompute``, or a sigma missing) and saved.

    The file records the number of images and the noise seed of each sigma (``noise_seed``); a file made for other
    images or seeds is refused rather than mixed in.
    """
    from others.files import write_text_atomic
    path = Path(path)
    saved = json.loads(path.read_text()) if path.is_file() and not recompute else {"licence": BM3D_LICENCE}
    for sigma in sigmas:
        seed, entry = noise_seed(sigma), saved.get(str(sigma))
        if entry is not None:
            if entry["images"] != clean.shape[0] or entry["seed"] != seed:
                raise ValueError(f"{path} holds BM3D at sigma {sigma} for {entry['images']} images with seed "
                                 f"{entry['seed']}, not {clean.shape[0]} with seed {seed}; pass --recompute-bm3d")
            continue
        if progress:
            progress(f"BM3D at sigma {sigma} on {clean.shape[0]} images")
        started = time.perf_counter()
        denoised = bm3d_colour(noisy_copy(clean, sigma, seed), sigma)
        saved[str(sigma)] = {"images": clean.shape[0], "seed": seed,
                             "psnr_db": psnr(denoised / 255, clean.double() / 255),
                             "seconds": time.perf_counter() - started}
        write_text_atomic(path, json.dumps(saved, indent=2))
    return {sigma: saved[str(sigma)]["psnr_db"] for sigma in sigmas}


def model_psnr(predict, clean, sigmas):
    """{sigma: mean PSNR} of ``predict`` (0-255 in, 0-255 out) on each sigma's noisy copy of ``clean``."""
    return {sigma: psnr(predict(noisy_copy(clean, sigma)).double() / 255, clean.double() / 255) for sigma in sigmas}


def table(rows, sigmas):
    """A Markdown table: one row per method ({name: {sigma: dB}}), one column per sigma."""
    lines = ["| method | " + " | ".join(f"sigma {s}" for s in sigmas) + " |",
             "|---|" + "---:|" * len(sigmas)]
    for name, values in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{values[s]:.2f}" for s in sigmas) + " |")
    return "\n".join(lines)


def figure(rows, sigmas, path):
    """PSNR against sigma, one line per method, as a PNG."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for name, values in rows.items():
        ax.plot(sigmas, [values[s] for s in sigmas], marker="o", label=name)
    ax.set_xlabel("noise standard deviation sigma (0-255 scale)")
    ax.set_ylabel("PSNR (dB)")
    ax.set_xticks(list(sigmas))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
