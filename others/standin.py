"""Stand-in course data: Noise2Noise pairs and validation sets made from photographs bundled in PyPI packages.

The course's files are ``train_data.pkl`` (two uint8 tensors Nx3x32x32, two noisy copies of each image) and
``val_data.pkl`` (noisy, clean: uint8 1000x3x32x32), both written by ``torch.save``. This module writes folders of
exactly that format, deterministically from a seed, in two sets made from four disjoint groups of photos
(``GROUPS``; no photo is in two groups):

- ``develop`` (``data/develop/``): training pairs from the ``train`` photos, what ``bin/train`` learns from, and a
  validation set from the ``develop`` photos, which chooses epochs, recipes and architectures.
- ``grading`` (``data/grading/``): what ``python test.py`` grades on by default, standing in for the course's data,
  which is new to the shipped model: training pairs from the ``grade-train`` photos and validation images from the
  ``grade-val`` photos.

Validation noise is calibrated so that the mean noisy-vs-clean PSNR is the course's measured 20.72 dB. The grading
set's training pairs have that noise too; the develop set's training pairs have Gaussian noise of a standard
deviation drawn per image from ``BLIND_SIGMA`` (0-255 scale), for a model that serves every level. Crops of a
grayscale photo are grey images whose noise is one field shared by the three channels.
"""
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F

from others.files import save_atomic, write_text_atomic
from others.metrics import psnr_uint8

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"
SETS = ("develop", "grading")
DEFAULT_DATA = DATA / "grading"  # what test.py grades on
DEVELOP_DATA = DATA / "develop"  # what bin/train and the reports use
COURSE_NOISY_PSNR = 20.72  # dB, the course's validation set, noisy vs clean
BLIND_SIGMA = (5.0, 50.0)  # the develop set's training noise, standard deviation on the 0-255 scale
GRAY_SHARE = 0.2  # of a group's crops, from its grayscale photos (when it has both kinds)
CROP = 32
SCALES = (1, 2, 3, 4)  # area-downsampling factors: the course's images are "downsampled and pixelated"
CHUNK = 1024  # images made at a time: the peak memory stays at a few chunks' float64 values
NOISE_MODELS = ("gaussian", "poisson")


@dataclass(frozen=True)
class Photo:
    """A photograph bundled in an installed PyPI package, with its licence."""

    package: str  # the import name of the package that ships it
    path: str  # inside that package
    licence: str
    gray: bool = False


PHOTOS = {
    # scikit-image (skimage/data); licences as its data module's docstrings give them.
    "astronaut": Photo("skimage", "data/astronaut.png", "Eileen Collins, NASA; public domain"),
    "rocket": Photo("skimage", "data/rocket.jpg", "DSCOVR launch on Falcon 9, SpaceX; public domain"),
    "hubble_deep_field": Photo("skimage", "data/hubble_deep_field.jpg", "Hubble eXtreme Deep Field, NASA; public domain"),
    "retina": Photo("skimage", "data/retina.jpg", "Fundus photograph, Mikael Häggström; CC0 1.0"),
    "ihc": Photo("skimage", "data/ihc.png", "Immunohistochemistry, CMMI; no known copyright restrictions"),
    "chelsea": Photo("skimage", "data/chelsea.png", "Chelsea the cat, Stefan van der Walt; CC0"),
    "coffee": Photo("skimage", "data/coffee.png", "Coffee cup, Rachel Michetti; CC0"),
    "brick": Photo("skimage", "data/brick.png", "Bricks25, CC0Textures; CC0", gray=True),
    "grass": Photo("skimage", "data/grass.png", "Grass 01, linolafett (DeviantArt); CC0", gray=True),
    "gravel": Photo("skimage", "data/gravel.png", "Gravel04, CC0Textures; CC0", gray=True),
    "coins": Photo("skimage", "data/coins.png", "Greek coins, Brooklyn Museum; no known copyright restrictions",
                   gray=True),
    "cell": Photo("skimage", "data/cell.png", "Cell, quantitative phase image, Paul Müller et al.; CC0", gray=True),
    "camera": Photo("skimage", "data/camera.png", "Cameraman, Lav Varshney; CC0", gray=True),
    "clock": Photo("skimage", "data/clock_motion.png", "Motion-blurred wall clock, Stefan van der Walt; public domain",
                   gray=True),
    "text": Photo("skimage", "data/text.png", "Corner.png, Wikipedia; public domain", gray=True),
    # matplotlib (mpl-data/sample_data).
    "grace_hopper": Photo("matplotlib", "mpl-data/sample_data/grace_hopper.jpg",
                          "Grace Hopper, U.S. Navy (James S. Davis); public domain (work of the U.S. government)"),
    # scikit-learn (datasets/images); its README gives the licence and the authors.
    "china": Photo("sklearn", "datasets/images/china.jpg", "danielbuechele (Flickr); CC BY 2.0"),
    "flower": Photo("sklearn", "datasets/images/flower.jpg", "vultilion (Flickr); CC BY 2.0"),
}
GROUPS = {
    "train": ("astronaut", "rocket", "hubble_deep_field", "retina", "ihc", "brick", "grass", "gravel", "coins",
              "cell", "text"),
    "develop": ("chelsea", "coffee", "clock", "camera"),
    "grade-train": ("china", "grace_hopper"),  # colour only, as the course's data
    "grade-val": ("flower",),
}
# (training pairs' group, validation group, training noise) of each set; None: the validation set's noise.
SET_GROUPS = {"develop": ("train", "develop", BLIND_SIGMA), "grading": ("grade-train", "grade-val", None)}


def photo_path(name):
    """Return the file of the bundled photo ``name`` (a key of PHOTOS), found without importing its package."""
    photo = PHOTOS[name]
    spec = importlib.util.find_spec(photo.package)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"the stand-in photo {name!r} ships with the {photo.package} package, which is not "
                                f"installed (pip install -r requirements.txt)")
    path = Path(spec.submodule_search_locations[0]) / photo.path
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the stand-in data needs the photos bundled with "
                                f"{photo.package} (pip install -r requirements.txt)")
    return path


def load_photo(name):
    """Return a bundled photo as a uint8 tensor (3, H, W); a grayscale photo has three equal channels."""
    from PIL import Image
    with Image.open(photo_path(name)) as image:
        rgb = image.convert("RGB")
    data = torch.frombuffer(bytearray(rgb.tobytes()), dtype=torch.uint8)
    return data.view(rgb.height, rgb.width, 3).permute(2, 0, 1).contiguous()


def pyramid(photo):
    """Return the photo area-downsampled by each factor in SCALES, as float tensors (3, H/s, W/s)."""
    x = photo.double().unsqueeze(0)
    return [F.avg_pool2d(x, s)[0] if s > 1 else x[0] for s in SCALES]


def draw_photos(names, count, generator):
    """Draw a photo index per crop: grayscale photos get GRAY_SHARE of the crops when colour ones are there too,
    and the photos of one kind share theirs equally, so a large photo does not crowd out the others."""
    gray = torch.tensor([PHOTOS[n].gray for n in names])
    weights = torch.ones(len(names), dtype=torch.double)
    if gray.any() and not gray.all():
        weights[gray] = GRAY_SHARE / gray.sum()
        weights[~gray] = (1 - GRAY_SHARE) / (~gray).sum()
    return torch.multinomial(weights, count, replacement=True, generator=generator)


def sample_crops(names, count, generator):
    """Draw ``count`` random 32x32 crops at random scales, flips and rotations from the named photos.

    Returns:
        (crops, gray): uint8 crops and a bool per crop, True for a grayscale photo's.

    Shape:
        -> uint8 (count, 3, 32, 32), bool (count,)
    """
    levels = [pyramid(load_photo(name)) for name in names]
    photo = draw_photos(names, count, generator)
    scale = torch.randint(len(SCALES), (count,), generator=generator).tolist()
    position = torch.rand(count, 2, generator=generator, dtype=torch.double).tolist()
    transform = torch.randint(8, (count,), generator=generator)
    crops = torch.empty(count, 3, CROP, CROP, dtype=torch.uint8)
    for first in range(0, count, CHUNK):
        last = min(first + CHUNK, count)
        chunk = torch.empty(last - first, 3, CROP, CROP, dtype=torch.double)
        for i in range(first, last):
            level = levels[photo[i]][scale[i]]
            a, b = position[i]
            top, left = int(a * (level.shape[1] - CROP + 1)), int(b * (level.shape[2] - CROP + 1))
            chunk[i - first] = level[:, top:top + CROP, left:left + CROP]
        crops[first:last] = dihedral(chunk, transform[first:last]).round().clamp(0, 255).to(torch.uint8)
    return crops, torch.tensor([PHOTOS[n].gray for n in names])[photo]


def dihedral(images, transform):
    """Apply one of the 8 flips/rotations (``transform`` in 0..7 per image) to each image."""
    out = images.clone()
    for t in range(8):
        chosen = transform == t
        x = images[chosen].rot90(t % 4, (2, 3))
        out[chosen] = x.flip(3) if t >= 4 else x
    return out


def add_noise(clean, model, level, strength, generator, gray=None):
    """Return a noisy uint8 copy of ``clean``, made CHUNK images at a time.

    Args:
        clean: uint8 images (N, 3, H, W).
        model: "gaussian" (sigma = level * strength, in 0-255 units) or "poisson" (photon count at white
            = level / strength).
        level: the noise level; strength: per-image factors (N,), drawn once per image.
        gray: optional bool per image (N,): True where one noise field is shared by the three channels.
    """
    if model not in NOISE_MODELS:
        raise ValueError(f"noise must be one of {NOISE_MODELS}, got {model!r}")
    noisy = torch.empty_like(clean)
    for first in range(0, clean.shape[0], CHUNK):
        part = slice(first, first + CHUNK)
        shared = None if gray is None else gray[part]
        noisy[part] = _noisy_chunk(clean[part].double(), model, level, strength[part], generator, shared)
    return noisy


def _noisy_chunk(x, model, level, strength, generator, gray):
    s = strength.view(-1, 1, 1, 1)
    if model == "gaussian":
        noise = torch.randn(x.shape, generator=generator, dtype=torch.double)
        if gray is not None and gray.any():  # a grey image's noise: one field in all three channels
            noise[gray] = noise[gray][:, :1].expand(-1, x.shape[1], -1, -1)
        noisy = x + level * s * noise
    else:
        peak = level / s
        if gray is not None and gray.any():
            raise ValueError("poisson noise is made per channel; it has no grey form")
        noisy = torch.poisson(x / 255 * peak, generator=generator) / peak * 255
    return noisy.round().clamp(0, 255).to(torch.uint8)


def calibrate(clean, model, strength, seed, target=COURSE_NOISY_PSNR, gray=None):
    """Return the noise level whose noisy copy of ``clean`` has mean PSNR ``target`` (bisection, 40 steps)."""
    low, high = (0.1, 200.0) if model == "gaussian" else (1.0, 1e5)
    for _ in range(40):
        mid = (low * high) ** 0.5
        value = psnr_uint8(add_noise(clean, model, mid, strength, torch.Generator().manual_seed(seed), gray), clean)
        # More Gaussian sigma lowers the PSNR; a higher Poisson peak raises it.
        if (value > target) == (model == "gaussian"):
            low = mid
        else:
            high = mid
    return (low * high) ** 0.5


def make(out=DEFAULT_DATA, train_size=50000, val_size=1000, seed=0, noise="gaussian", progress=None,
         which="grading", train_sigma="default"):
    """Write ``train_data.pkl``, ``val_data.pkl`` and ``standin.json`` (provenance) into ``out``.

    Args:
        out: destination folder (created).
        train_size, val_size: number of training pairs and validation images.
        seed: everything is a deterministic function of it.
        noise: one of NOISE_MODELS.
        progress: optional callable(step_name) called as each stage starts.
        which: one of SETS: the groups of photos the pairs and the validation images come from.
        train_sigma: the training pairs' noise: None for the validation set's calibrated noise, or a
            (low, high) range of Gaussian standard deviations (0-255) drawn per image; "default": the set's own.

    Returns:
        The provenance record written to ``standin.json``.
    """
    if noise not in NOISE_MODELS:
        raise ValueError(f"noise must be one of {NOISE_MODELS}, got {noise!r}")
    if which not in SETS:
        raise ValueError(f"which must be one of {SETS}, got {which!r}")
    for name, value in (("train_size", train_size), ("val_size", val_size)):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    train_group, val_group, default_sigma = SET_GROUPS[which]
    train_sigma = default_sigma if train_sigma == "default" else train_sigma
    check_sigma_range(train_sigma, noise)
    step = progress or (lambda name: None)
    gen = torch.Generator().manual_seed(seed)
    step("cropping validation photos")
    val_clean, val_gray = sample_crops(GROUPS[val_group], val_size, gen)
    val_strength = torch.rand(val_size, generator=gen, dtype=torch.double) + 0.5  # per-image factor in [0.5, 1.5)
    val_gray = val_gray if noise == "gaussian" else None
    step("calibrating the noise level")
    level = calibrate(val_clean, noise, val_strength, seed, gray=val_gray)
    val_noisy = add_noise(val_clean, noise, level, val_strength, gen, val_gray)
    step("cropping training photos")
    train_clean, train_gray = sample_crops(GROUPS[train_group], train_size, gen)
    step("noising training pairs")
    if train_sigma is None:
        train_level, train_strength = level, torch.rand(train_size, generator=gen, dtype=torch.double) + 0.5
    else:
        low, high = train_sigma
        train_level, train_strength = 1.0, low + (high - low) * torch.rand(train_size, generator=gen, dtype=torch.double)
    train_gray = train_gray if noise == "gaussian" else None
    pair = tuple(add_noise(train_clean, noise, train_level, train_strength, gen, train_gray) for _ in range(2))
    del train_clean
    step("writing files")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    save_atomic(pair, out / "train_data.pkl")
    save_atomic((val_noisy, val_clean), out / "val_data.pkl")
    record = {"set": which, "seed": seed, "train_size": train_size, "val_size": val_size, "noise": noise,
              "level": level, "train_sigma": None if train_sigma is None else list(train_sigma),
              "val_noisy_psnr_db": psnr_uint8(val_noisy, val_clean),
              "train_photos": provenance(GROUPS[train_group]), "val_photos": provenance(GROUPS[val_group]),
              "source": "photos bundled in PyPI packages (scikit-image, matplotlib, scikit-learn)",
              "scales": list(SCALES), "gray_share": GRAY_SHARE}
    write_text_atomic(out / "standin.json", json.dumps(record, indent=2))
    return record


def check_sigma_range(train_sigma, noise):
    """Refuse a training noise range that is not (low, high) with 0 <= low <= high, or that is not Gaussian."""
    if train_sigma is None:
        return
    if noise != "gaussian":
        raise ValueError(f"train_sigma is a range of Gaussian standard deviations; with {noise!r} noise pass None")
    if len(train_sigma) != 2 or not 0 <= train_sigma[0] <= train_sigma[1]:
        raise ValueError(f"train_sigma must be (low, high) with 0 <= low <= high, got {train_sigma!r}")


def provenance(names):
    """Return {photo: "package/path: licence"} for the named photos."""
    return {n: f"{PHOTOS[n].package}/{PHOTOS[n].path}: {PHOTOS[n].licence}" for n in names}


def ensure(folder=DEFAULT_DATA, which=None, **make_args):
    """Return ``folder``, first creating a stand-in set there if its files are missing.

    Args:
        which: the set to make (one of SETS); default: "develop" for DEVELOP_DATA, else "grading".
    """
    folder = Path(folder)
    if not ((folder / "train_data.pkl").is_file() and (folder / "val_data.pkl").is_file()):
        if which is None:
            which = "develop" if folder.resolve() == DEVELOP_DATA.resolve() else "grading"
        make(folder, which=which, **make_args)
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
