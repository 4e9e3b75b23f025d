#include <jack/jack.h>

/* jack_client_open is variadic, which Swift cannot call: open a client that never starts a server. */
static inline jack_client_t *pyacq_jack_open(const char *name) {
    jack_status_t status;
    return jack_client_open(name, JackNoStartServer, &status);
}
