"""celltrial: an open-source platform for early-phase cell-therapy clinical trials, vein to vein."""

__version__ = "0.1.0"
