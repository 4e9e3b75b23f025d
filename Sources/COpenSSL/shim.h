// OpenSSL's libcrypto: AES for the Emotiv EPOC reports (a kept library, not our own AES).
#include <openssl/evp.h>
#include <openssl/err.h>
