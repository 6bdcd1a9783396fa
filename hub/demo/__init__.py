"""`lifeline demo`: the six real cases of domain.md, played through a real hub.

A fresh dev CA and a SQLite hub in a temporary directory; the hub runs as its
own process (`lifeline serve`) and every party talks to it through its connector
over mutual-TLS gRPC, exactly as in production. Time is compressed by --speed
(the deadline policy is divided by it), and one police desk stays silent so that
the hub's escalation is seen. At the end every case's evidence bundle is
exported and verified offline against the CA.
"""

from hub.demo.run import DEMO_OPERATOR, DEMO_PASSWORD, run_demo

__all__ = ["DEMO_OPERATOR", "DEMO_PASSWORD", "run_demo"]
