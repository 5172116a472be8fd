"""The input side: validated rows, out-of-core sources, Dask, inference chunks.

Below the engine: turns what a user passes (arrays, frames, memmaps, Dask
collections) into checked rows and blocks of rows; builds no Keras model.
"""
