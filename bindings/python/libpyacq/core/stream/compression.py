"""pyacq.core.stream.compression's list of compression names: libpyacq always has blosc."""

#: ``compression`` param values every libpyacq stream accepts (PROTOCOL §10).
compression_methods = ["", "blosc-blosclz", "blosc-lz4"]
