"""The from-scratch framework: blocks, losses and optimizers on bare tensors (no autograd, no torch.nn)."""
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
from . import augment, checks, networks, reference, serialization, snapshot, subpixel, workspace
