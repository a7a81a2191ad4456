"""Which devices TensorFlow sees, and the settings that suit them."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DeviceInfo:
    tensorflow: str
    keras: str
    cpus: int
    gpus: list[str] = field(default_factory=list)
    mixed_precision: bool = False

    @property
    def summary(self) -> str:
        gpu = ", ".join(self.gpus) if self.gpus else "none (training runs on the CPU)"
        policy = "mixed_float16" if self.mixed_precision else "float32"
        return (
            f"TensorFlow {self.tensorflow}, Keras {self.keras} | CPU cores: {self.cpus} | "
            f"GPU: {gpu} | precision policy: {policy}"
        )


def _gpu_supports_fast_fp16(details: dict) -> bool:
    """Tensor cores (compute capability >= 7.0) are what make mixed precision pay off."""
    cc = details.get("compute_capability")
    return bool(cc) and tuple(cc) >= (7, 0)


def setup_devices(mixed_precision: str | bool = "auto", verbose: bool = True) -> DeviceInfo:
    """Report the devices, enable GPU memory growth, set the precision policy.

    mixed_precision: ``"auto"`` (default) turns on ``mixed_float16`` only on a GPU with
    tensor cores; ``False`` keeps float32 everywhere; ``True`` forces it on a GPU.
    A CPU-only run stays float32 here; ``fast_precision`` says whether bfloat16 pays on this CPU.
    """
    if mixed_precision not in ("auto", True, False):
        raise ValueError(f"mixed_precision must be 'auto', True or False, got {mixed_precision!r}")
    import os

    import keras
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    names = []
    fast_fp16 = False
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialised: growth must be set before first use
            pass
        details = tf.config.experimental.get_device_details(gpu)
        names.append(details.get("device_name", gpu.name))
        fast_fp16 = fast_fp16 or _gpu_supports_fast_fp16(details)

    use_mp = bool(gpus) and (fast_fp16 if mixed_precision == "auto" else bool(mixed_precision))
    keras.mixed_precision.set_global_policy("mixed_float16" if use_mp else "float32")
    info = DeviceInfo(
        tensorflow=tf.__version__,
        keras=keras.__version__,
        cpus=os.cpu_count() or 1,
        gpus=names,
        mixed_precision=use_mp,
    )
    if verbose:
        print(info.summary)
    return info


def cpu_has_bfloat16(cpuinfo: str | None = None) -> bool:
    """Whether the CPU computes bfloat16 in hardware (x86 flags ``avx512_bf16`` or ``amx_bf16``).

    Reads ``/proc/cpuinfo`` (Linux) unless ``cpuinfo`` is given; elsewhere the answer is False.
    Without them bfloat16 is emulated in software, which is usually slower than float32.
    """
    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo") as f:
                cpuinfo = f.read()
        except OSError:
            return False
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[-1].split())
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def fast_precision(info: DeviceInfo, cpuinfo: str | None = None) -> str:
    """The Keras precision policy that should train fastest here: ``mixed_float16`` on a GPU with tensor
    cores, ``mixed_bfloat16`` on a CPU with bfloat16 hardware (``cpu_has_bfloat16``), else
    ``float32``. Pass ``info`` from ``setup_devices``; set the policy yourself with
    ``keras.mixed_precision.set_global_policy`` before building the models it should apply to.
    A mixed model keeps its weights in float32; give its last layer ``dtype="float32"``.
    """
    if info.gpus:
        return "mixed_float16" if info.mixed_precision else "float32"
    return "mixed_bfloat16" if cpu_has_bfloat16(cpuinfo) else "float32"


def distribution_strategy(devices=None, verbose: bool = True):
    """The ``tf.distribute`` strategy to build and train models under.

    - ``TF_CONFIG`` set in the environment (a cluster of machines):
      ``MultiWorkerMirroredStrategy`` (every worker runs the same script);
    - ``devices`` given (e.g. ``["/cpu:0", "/cpu:1"]`` in a test) or more than one GPU:
      ``MirroredStrategy``, one copy of the model per device, gradients summed over them;
    - otherwise TensorFlow's default strategy (one device; ``scope()`` changes nothing).

    Build and compile the model under ``with strategy.scope():`` and multiply the batch size
    by ``strategy.num_replicas_in_sync``: each replica then sees the batch size a single device
    would, as in the Keras distributed-training guide.
    """
    import os

    import tensorflow as tf

    if os.environ.get("TF_CONFIG"):
        kind, strategy = "MultiWorkerMirroredStrategy", tf.distribute.MultiWorkerMirroredStrategy()
    elif devices is not None:
        if len(devices) < 1:
            raise ValueError("devices must name at least one device, e.g. ['/gpu:0', '/gpu:1']")
        kind, strategy = "MirroredStrategy", tf.distribute.MirroredStrategy(devices=list(devices))
    elif len(tf.config.list_logical_devices("GPU")) > 1:
        kind, strategy = "MirroredStrategy", tf.distribute.MirroredStrategy()
    else:
        kind, strategy = "DefaultDistributionStrategy", tf.distribute.get_strategy()
    if verbose:
        print(f"distribution: {kind}, replicas: {strategy.num_replicas_in_sync}")
    return strategy
