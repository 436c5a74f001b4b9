#!/usr/bin/python3
"""Runs onnx.checker.check_model(full_check=True) on each file given; prints one line per file.

Usage: /usr/bin/python3 scripts/onnx_check.py FILE.onnx...   (Debian's python3-onnx)
Exit 0 when every file passes, 1 when one fails, 2 when the onnx package is missing.
"""
import sys

try:
    import onnx
except ImportError:
    print("onnx_check: the Python package 'onnx' is missing: apt-get install -y python3-onnx", file=sys.stderr)
    sys.exit(2)

failed = 0
for path in sys.argv[1:]:
    try:
        onnx.checker.check_model(onnx.load(path), full_check=True)
        print(f"ok {path}")
    except Exception as e:  # the checker raises several exception types
        failed += 1
        print(f"FAIL {path}: {type(e).__name__}: {' | '.join(str(e).strip().splitlines())}")
sys.exit(1 if failed else 0)
