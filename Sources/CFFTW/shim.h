// FFTW3 in single precision (fftwf_*): the FFTs of the time-frequency worker.
#include <fftw3.h>
