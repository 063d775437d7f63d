"""Access-matrix expectations, one module per room (see README.md)."""
