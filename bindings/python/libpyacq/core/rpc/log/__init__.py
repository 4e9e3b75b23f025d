"""pyacq.core.rpc.log over libpyacq."""

from ....logtools import (LogSender, LogServer, RPCLogHandler, get_host_name, get_logger_address,  # noqa: F401
                          get_process_name, get_thread_name, log_exceptions, set_host_name, set_logger_address,
                          set_process_name, set_thread_name, start_log_server)
