// libusb-1.0 (Debian libusb-1.0-0-dev): the Emotiv EPOC node opens the consumer dongle by
// vendor/product id and reads its reports with interrupt transfers, without a hidraw node.
#include <libusb.h>
