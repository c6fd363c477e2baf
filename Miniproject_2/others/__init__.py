"""The from-scratch framework: blocks, losses and optimizers on bare tensors (no autograd, no torch.nn).

Layout: the blocks a course reader comes for are the modules of this folder; ``kernels/`` is the convolution engine
they run on (plain im2col reference and the fast paths); ``denoiser/`` is the machinery of the Noise2Noise model
(networks, model files, augmentation, training safeguards).
"""
from .activation import LeakyReLU, ReLU, Sigmoid
from .container import Add, Concat, Identity, Sequential
from .conv import Conv2d
from .loss import MSE
from .lr_scheduler import CosineAnnealingLR
from .module import Module
from .optim import SGD, Adam, Optimizer
from .transpose import TransposeConv2d
from .upsampling import NearestUpsampling, Upsampling

__all__ = ["Module", "Conv2d", "TransposeConv2d", "NearestUpsampling", "Upsampling", "ReLU", "LeakyReLU",
           "Sigmoid", "Sequential", "Identity", "Concat", "Add", "MSE", "Optimizer", "SGD", "Adam", "CosineAnnealingLR"]
from . import checks, denoiser, kernels
