// c-blosc 1.x: the frame format python-blosc 1.x produces and pyacq consumers decode.
#include <blosc.h>
