"""Train the Rasa model only when its inputs changed.

The model file is ``models/bot-<hash>.tar.gz`` where the hash covers config.yml, the domain,
stories, rules, the custom components and nlu_data/. ``python -m bot.train`` prints the model's
path (training first when no such file exists); tests and the benchmark call ``ensure_model``.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
DOMAIN = ROOT / "bot" / "domain"
DATA = [ROOT / "nlu_data", ROOT / "bot" / "stories", ROOT / "bot" / "rules"]
INPUTS = [ROOT / "config.yml", DOMAIN, *DATA, ROOT / "bot" / "components"]
RASA = str(Path(sys.executable).with_name("rasa"))


def rasa_env() -> dict[str, str]:
    """Environment for every Rasa subprocess: no telemetry, the project importable, quiet TF."""
    env = dict(os.environ)
    env.update(RASA_TELEMETRY_ENABLED="false", TF_CPP_MIN_LOG_LEVEL="2", PYTHONDONTWRITEBYTECODE="1")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    return env


def inputs_hash() -> str:
    digest = hashlib.sha256()
    for base in INPUTS:
        files = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def model_path() -> Path:
    return MODELS / f"bot-{inputs_hash()}.tar.gz"


def ensure_model(quiet: bool = False) -> tuple[Path, float | None]:
    """(model path, training seconds or None when an up-to-date model was reused)."""
    path = model_path()
    if path.exists():
        return path, None
    MODELS.mkdir(exist_ok=True)
    cmd = [RASA, "train", "--config", str(ROOT / "config.yml"), "--domain", str(DOMAIN),
           "--data", *map(str, DATA), "--out", str(MODELS), "--fixed-model-name", path.name[:-len(".tar.gz")]]
    started = time.monotonic()
    out = subprocess.run(cmd, cwd=ROOT, env=rasa_env(), text=True,
                         stdout=subprocess.PIPE if quiet else None, stderr=subprocess.STDOUT if quiet else None)
    seconds = time.monotonic() - started
    if out.returncode != 0 or not path.exists():
        tail = (out.stdout or "")[-3000:] if quiet else ""
        raise RuntimeError(f"rasa train failed (exit {out.returncode}):\n{tail}")
    (MODELS / f"{path.name}.train-seconds").write_text(f"{seconds:.1f}\n")
    for old in MODELS.glob("bot-*.tar.gz*"):  # models of older training data
        if not old.name.startswith(path.name):
            old.unlink(missing_ok=True)
    return path, seconds


def main() -> int:
    path, seconds = ensure_model()
    if seconds is None:
        print(f"Dùng lại mô hình đã huấn luyện (dữ liệu và cấu hình không đổi): {path.relative_to(ROOT)}")
    else:
        print(f"Đã huấn luyện {path.relative_to(ROOT)} trong {seconds:.0f} giây")
    return 0


if __name__ == "__main__":
    sys.exit(main())
