"""others/sigma_report.py: noisy copies, the blur baseline, the kept BM3D results and the table."""
import json

import pytest
import torch

from others import sigma_report as report


def clean_images(n=4, size=16):
    torch.manual_seed(0)
    smooth = torch.nn.functional.interpolate(torch.rand(n, 3, size // 4, size // 4) * 200 + 20, scale_factor=4,
                                             mode="bilinear", align_corners=False)
    return smooth.round().clamp(0, 255).to(torch.uint8)


def test_noisy_copy_is_deterministic_clipped_uint8_with_the_asked_sigma():
    clean = torch.full((8, 3, 32, 32), 128, dtype=torch.uint8)
    a, b = report.noisy_copy(clean, 20, seed=1), report.noisy_copy(clean, 20, seed=1)
    assert a.dtype == torch.uint8 and torch.equal(a, b) and not torch.equal(a, report.noisy_copy(clean, 20, seed=2))
    assert abs((a.double() - 128).std().item() - 20) < 0.5
    dark = report.noisy_copy(torch.zeros(1, 3, 8, 8, dtype=torch.uint8), 50, seed=0)
    assert dark.min().item() == 0  # clipped, not wrapped


def test_blur_keeps_a_constant_image_and_the_best_blur_beats_the_noise():
    flat = torch.full((1, 3, 9, 9), 77.0)
    torch.testing.assert_close(report.gaussian_blur(flat, 1.3), flat)
    clean = clean_images()
    noisy = report.noisy_copy(clean, 25, seed=0)
    width, value = report.best_blur(noisy, clean)
    assert width in report.BLUR_WIDTHS
    assert value > report.psnr(noisy.double() / 255, clean.double() / 255) + 2


def test_bm3d_results_are_read_back_and_refused_for_other_images(tmp_path):
    clean = clean_images()
    path = tmp_path / "BM3D.json"
    seed = report.noise_seed(25)
    path.write_text(json.dumps({"25": {"images": 4, "seed": seed, "psnr_db": 31.5, "seconds": 1.0}}))
    assert report.bm3d_results(path, clean, (25,)) == {25: 31.5}  # no BM3D needed: read from the file
    with pytest.raises(ValueError, match="recompute"):
        report.bm3d_results(path, clean[:2], (25,))
    path.write_text(json.dumps({"25": {"images": 4, "seed": seed + 1, "psnr_db": 31.5, "seconds": 1.0}}))
    with pytest.raises(ValueError, match="seed"):  # made with other noise
        report.bm3d_results(path, clean, (25,))


def test_model_psnr_and_the_table():
    clean = clean_images()
    perfect = report.model_psnr(lambda noisy: clean.float(), clean, (10, 50))
    assert perfect[10] == perfect[50] == float("inf") or min(perfect.values()) > 100
    identity = report.model_psnr(lambda noisy: noisy.float(), clean, (10, 50))
    assert identity[10] > identity[50] + 10
    text = report.table({"noisy": identity}, (10, 50))
    assert text.splitlines()[0] == "| method | sigma 10 | sigma 50 |"
    assert text.splitlines()[2].startswith(f"| noisy | {identity[10]:.2f} | ")


def test_each_level_keeps_its_noise_seed_whatever_levels_a_report_asks_for():
    assert [report.noise_seed(s) for s in report.SIGMAS] == [1000, 1001, 1002, 1003, 1004]
    assert report.noise_seed(20) == 2200 and len({report.noise_seed(s) for s in (5, 20, 40)}) == 3
