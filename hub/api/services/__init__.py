"""gRPC servicers: each turns requests into calls on the hub's engine and rows into messages."""
