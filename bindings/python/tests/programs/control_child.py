"""A Python process watched by `dripdrop control`, configured by its environment alone
(DRIPDROP_CONTROL, DRIPDROP_ROLE): it pushes COUNT messages to itself, prints "sent COUNT",
then obeys files the test creates in DIR: `stick` makes a callback block for STICK seconds
(the loop stuck, the process alive), `stop` stops it cleanly (a goodbye).

Usage: control_child.py DIR COUNT STICK"""

import os
import sys
import time

import dripdrop

directory, count, stick = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
node = dripdrop.Node()
pull = node.route("in", "zmq_pull", "tcp://127.0.0.1:*", "bind")
node.route("out", "zmq_push", pull.endpoint, "connect")
pull.on_receive(lambda message: None)
left = count
message = dripdrop.Message("job", body=b"x" * 32)


def pump():
    global left
    while left > 0:
        try:
            node.send_message("out", message)
        except dripdrop.Backpressure:
            node.after(0.001, pump)
            return
        left -= 1
    print(f"sent {count}", flush=True)


def obey():
    if os.path.exists(os.path.join(directory, "stick")):
        os.remove(os.path.join(directory, "stick"))
        print("stuck", flush=True)
        time.sleep(stick)
        print("unstuck", flush=True)
    if os.path.exists(os.path.join(directory, "stop")):
        node.stop()


node.next_tick(pump)
node.every(0.05, obey)
node.run()
node.close()
print("stopped", flush=True)
