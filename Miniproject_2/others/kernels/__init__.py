"""The convolution engine behind Conv2d, TransposeConv2d and Upsampling.

- ``im2col``, ``reference``: the plain, readable convolution (unfold, one GEMM, fold) that the tests compare with.
- ``conv_ops``: which fast path a convolution takes; ``conv_plan`` and ``fused``: the passes of Conv2d and of the
  fused upsampling block planned once per input signature.
- ``scatter`` (col2im as sums of columns), ``shifted`` and ``phases`` (stride-1 and strided convolutions as GEMMs over
  shifted views), ``subpixel`` (upsampling + convolution as one low-resolution convolution), ``winograd`` (nearest
  2x upsampling + 3x3 convolution in nine products per input pixel), ``workspace`` (reused scratch memory).
"""
from . import conv_ops, conv_plan, fused, im2col, phases, reference, scatter, shifted, subpixel, winograd, workspace
