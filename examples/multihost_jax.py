"""
Data-parallel training over several hosts with JAX, two processes on localhost
==============================================================================

Each process stands for one host: it calls ``keras.distribution.initialize``,
then fits the same data with the same ``random_state`` under a
``keras.distribution.DataParallel`` spanning the devices of all processes.
skae feeds each process its share of every global batch; JAX averages the
gradients across processes (through gloo on CPU). Every process ends with the
same model; process 0 saves it.

Run ``KERAS_BACKEND=jax python examples/multihost_jax.py`` to start both
processes here, or start one per host by hand::

    KERAS_BACKEND=jax python examples/multihost_jax.py \\
        --process-id 0 --coordinator HOST0:12355
    KERAS_BACKEND=jax python examples/multihost_jax.py \\
        --process-id 1 --coordinator HOST0:12355
"""

import argparse
import os
import socket
import subprocess
import sys


def train(process_id, coordinator, num_processes, output):
    import jax

    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    import keras

    keras.distribution.initialize(
        job_addresses=coordinator, num_processes=num_processes, process_id=process_id
    )
    from sklearn.datasets import load_digits

    from skae import AutoencoderTransformer

    X = load_digits().data / 16
    data_parallel = keras.distribution.DataParallel(
        devices=keras.distribution.list_devices(), auto_shard_dataset=False
    )
    ae = AutoencoderTransformer(
        4,
        hidden_layer_sizes=(32,),
        epochs=10,
        batch_size=128,
        random_state=0,
        distribution=data_parallel,
    ).fit(X[:1400])
    error = -ae.score(X[1400:])
    print(
        f"process {process_id}: {len(jax.devices())} devices in all, "
        f"test error {error:.5f}",
        flush=True,
    )
    if process_id == 0 and output:
        ae.save(output)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def main():
    parser = argparse.ArgumentParser(
        description=(
            "Data-parallel training over several hosts with JAX, two processes "
            "on localhost"
        )
    )
    parser.add_argument(
        "--process-id", type=int, help="this process (omit to start all)"
    )
    parser.add_argument("--coordinator", help="host:port of process 0")
    parser.add_argument("--num-processes", type=int, default=2)
    parser.add_argument("--output", default="", help="where process 0 saves the model")
    args = parser.parse_args()
    if args.process_id is not None:
        train(args.process_id, args.coordinator, args.num_processes, args.output)
        return
    coordinator = args.coordinator or f"localhost:{_free_port()}"
    env = {**os.environ, "KERAS_BACKEND": "jax"}
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--process-id",
                str(i),
                "--coordinator",
                coordinator,
                "--num-processes",
                str(args.num_processes),
                "--output",
                args.output,
            ],
            env=env,
        )
        for i in range(args.num_processes)
    ]
    codes = [process.wait() for process in processes]
    sys.exit(max(codes))


if __name__ == "__main__":
    main()
