"""The from-scratch framework: blocks, losses and optimizers on bare tensors (no autograd, no torch.nn)."""
from .activation import LeakyReLU, ReLU, Sigmoid
from .container import Sequential
from .conv import Conv2d
from .loss import MSE
from .module import Module
from .optim import SGD, Adam, Optimizer
from .transpose import TransposeConv2d
from .upsampling import NearestUpsampling, Upsampling

__all__ = ["Module", "Conv2d", "TransposeConv2d", "NearestUpsampling", "Upsampling", "ReLU", "LeakyReLU",
           "Sigmoid", "Sequential", "MSE", "Optimizer", "SGD", "Adam"]
from . import checks, networks, reference, serialization, subpixel
