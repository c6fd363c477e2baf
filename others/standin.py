"""Stand-in course data: Noise2Noise pairs and a validation set made from photographs bundled with scikit-image.

The course's files are ``train_data.pkl`` (two uint8 tensors Nx3x32x32, two noisy copies of each image) and
``val_data.pkl`` (noisy, clean: uint8 1000x3x32x32), both written by ``torch.save``. This module writes files of
exactly that format, deterministically from a seed. Training crops come from some photos and validation crops
from photos never used for training; the noise level is calibrated so that the validation set's mean
noisy-vs-clean PSNR is the course's measured 20.72 dB.
"""
import json
from pathlib import Path

import torch
import torch.nn.functional as F

from others.files import save_atomic, write_text_atomic
from others.metrics import psnr_uint8

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT / "data"
COURSE_NOISY_PSNR = 20.72  # dB, the course's validation set, noisy vs clean
CROP = 32
SCALES = (1, 2, 3, 4)  # area-downsampling factors: the course's images are "downsampled and pixelated"

# Colour photographs shipped inside the scikit-image wheel (not the ones it fetches at run time).
PHOTOS = {
    "astronaut.png": "Eileen Collins, NASA Great Images database; public domain (no known copyright restrictions)",
    "rocket.jpg": "DSCOVR launch on Falcon 9, SpaceX; released into the public domain by SpaceX",
    "hubble_deep_field.jpg": "Hubble eXtreme Deep Field, NASA/HubbleSite; public domain",
    "retina.jpg": "Fundus photograph, Mikael Häggström via Wikimedia Commons; CC0 1.0",
    "ihc.png": "Immunohistochemistry, Center for Microscopy and Molecular Imaging; no known copyright restrictions",
    "chelsea.png": "Chelsea the cat, Stefan van der Walt; CC0",
    "coffee.png": "Coffee cup, Rachel Michetti (Pikolo Espresso Bar); CC0",
}
TRAIN_PHOTOS = ("astronaut.png", "rocket.jpg", "hubble_deep_field.jpg", "retina.jpg", "ihc.png")
VAL_PHOTOS = ("chelsea.png", "coffee.png")
NOISE_MODELS = ("gaussian", "poisson")


def load_photo(name):
    """Return a bundled photo as a uint8 tensor (3, H, W)."""
    import skimage
    from skimage.io import imread
    path = Path(skimage.data_dir) / name
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the stand-in data needs scikit-image's bundled photos "
                                f"(pip install -r requirements.txt)")
    return torch.from_numpy(imread(path)[..., :3].copy()).permute(2, 0, 1).contiguous()


def pyramid(photo):
    """Return the photo area-downsampled by each factor in SCALES, as float tensors (3, H/s, W/s)."""
    x = photo.double().unsqueeze(0)
    return [F.avg_pool2d(x, s)[0] if s > 1 else x[0] for s in SCALES]


def sample_crops(names, count, generator):
    """Draw ``count`` random 32x32 crops at random scales, flips and rotations from the named photos.

    Photo and scale are drawn uniformly, so a large photo does not crowd out the others.

    Shape:
        -> uint8 (count, 3, 32, 32)
    """
    levels = [pyramid(load_photo(name)) for name in names]
    photo = torch.randint(len(levels), (count,), generator=generator).tolist()
    scale = torch.randint(len(SCALES), (count,), generator=generator).tolist()
    position = torch.rand(count, 2, generator=generator, dtype=torch.double).tolist()
    crops = torch.empty(count, 3, CROP, CROP, dtype=torch.double)
    for i, (p, s, (a, b)) in enumerate(zip(photo, scale, position)):
        level = levels[p][s]
        top, left = int(a * (level.shape[1] - CROP + 1)), int(b * (level.shape[2] - CROP + 1))
        crops[i] = level[:, top:top + CROP, left:left + CROP]
    return dihedral(crops, torch.randint(8, (count,), generator=generator)).round().clamp(0, 255).to(torch.uint8)


def dihedral(images, transform):
    """Apply one of the 8 flips/rotations (``transform`` in 0..7 per image) to each image."""
    out = images.clone()
    for t in range(8):
        chosen = transform == t
        x = images[chosen].rot90(t % 4, (2, 3))
        out[chosen] = x.flip(3) if t >= 4 else x
    return out


def add_noise(clean, model, level, strength, generator):
    """Return a noisy uint8 copy of ``clean``.

    Args:
        clean: uint8 images (N, 3, H, W).
        model: "gaussian" (sigma = level * strength, in 0-255 units) or "poisson" (photon count at white
            = level / strength).
        level: the calibrated noise level; strength: per-image factors (N,), drawn once per image.
    """
    x = clean.double()
    s = strength.view(-1, 1, 1, 1)
    if model == "gaussian":
        noisy = x + level * s * torch.randn(x.shape, generator=generator, dtype=torch.double)
    elif model == "poisson":
        peak = level / s
        noisy = torch.poisson(x / 255 * peak, generator=generator) / peak * 255
    else:
        raise ValueError(f"noise must be one of {NOISE_MODELS}, got {model!r}")
    return noisy.round().clamp(0, 255).to(torch.uint8)


def calibrate(clean, model, strength, seed, target=COURSE_NOISY_PSNR):
    """Return the noise level whose noisy copy of ``clean`` has mean PSNR ``target`` (bisection, 40 steps)."""
    low, high = (0.1, 200.0) if model == "gaussian" else (1.0, 1e5)
    for _ in range(40):
        mid = (low * high) ** 0.5
        value = psnr_uint8(add_noise(clean, model, mid, strength, torch.Generator().manual_seed(seed)), clean)
        # More Gaussian sigma lowers the PSNR; a higher Poisson peak raises it.
        if (value > target) == (model == "gaussian"):
            low = mid
        else:
            high = mid
    return (low * high) ** 0.5


def make(out=DEFAULT_DATA, train_size=50000, val_size=1000, seed=0, noise="gaussian", progress=None):
    """Write ``train_data.pkl``, ``val_data.pkl`` and ``standin.json`` (provenance) into ``out``.

    Args:
        out: destination folder (created).
        train_size, val_size: number of training pairs and validation images.
        seed: everything is a deterministic function of it.
        noise: one of NOISE_MODELS.
        progress: optional callable(step_name) called as each stage starts.

    Returns:
        The provenance record written to ``standin.json``.
    """
    if noise not in NOISE_MODELS:
        raise ValueError(f"noise must be one of {NOISE_MODELS}, got {noise!r}")
    for name, value in (("train_size", train_size), ("val_size", val_size)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    step = progress or (lambda name: None)
    gen = torch.Generator().manual_seed(seed)
    step("cropping validation photos")
    val_clean = sample_crops(VAL_PHOTOS, val_size, gen)
    val_strength = torch.rand(val_size, generator=gen, dtype=torch.double) + 0.5  # per-image factor in [0.5, 1.5)
    step("calibrating the noise level")
    level = calibrate(val_clean, noise, val_strength, seed)
    val_noisy = add_noise(val_clean, noise, level, val_strength, gen)
    step("cropping training photos")
    train_clean = sample_crops(TRAIN_PHOTOS, train_size, gen)
    step("noising training pairs")
    train_strength = torch.rand(train_size, generator=gen, dtype=torch.double) + 0.5
    pair = tuple(add_noise(train_clean, noise, level, train_strength, gen) for _ in range(2))
    step("writing files")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save_atomic(pair, out / "train_data.pkl")
    save_atomic((val_noisy, val_clean), out / "val_data.pkl")
    record = {"seed": seed, "train_size": train_size, "val_size": val_size, "noise": noise, "level": level,
              "val_noisy_psnr_db": psnr_uint8(val_noisy, val_clean),
              "train_photos": {n: PHOTOS[n] for n in TRAIN_PHOTOS}, "val_photos": {n: PHOTOS[n] for n in VAL_PHOTOS},
              "source": "scikit-image bundled data (skimage.data_dir)", "scales": list(SCALES)}
    write_text_atomic(out / "standin.json", json.dumps(record, indent=2))
    return record


def ensure(folder=DEFAULT_DATA, **make_args):
    """Return ``folder``, first creating the default stand-in set there if its files are missing."""
    folder = Path(folder)
    if not ((folder / "train_data.pkl").is_file() and (folder / "val_data.pkl").is_file()):
        make(folder, **make_args)
    return folder


def load(folder):
    """Return ``(train_input, train_target, val_input, val_target)`` from a course-format data folder."""
    folder = Path(folder)
    for name in ("train_data.pkl", "val_data.pkl"):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name} is missing; run `python bin/make-data --out {folder}` "
                                    f"or point at the course's data folder")
    train_input, train_target = torch.load(folder / "train_data.pkl")
    val_input, val_target = torch.load(folder / "val_data.pkl")
    return train_input, train_target, val_input, val_target
