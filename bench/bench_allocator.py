"""Which allocator a merge should run on: the same upsert in fresh processes under Arrow's
mimalloc (the wheel's default), jemalloc and the system allocator
(ARROW_DEFAULT_MEMORY_POOL), interleaved, on shapes of bench_matrix.

    .venv/bin/python bench/bench_allocator.py [--rounds N] [--scale F] [--shapes a,b] [--warm]

--warm: the merge in a process that has merged before (bench_matrix's "fsspeckit warm").
Prints best wall seconds per shape and allocator, and each allocator's ratio to mimalloc.
"""

import os
import sys

import bench_matrix as matrix

ALLOCATORS = ["mimalloc", "jemalloc", "system"]


def main():
    args = sys.argv[1:]
    if "--help" in args or "-h" in args:
        print(__doc__)
        return
    rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 3
    scale = float(args[args.index("--scale") + 1]) if "--scale" in args else 0.5
    shapes = matrix.SHAPES
    if "--shapes" in args:
        wanted = args[args.index("--shapes") + 1].split(",")
        shapes = [s for s in shapes if s.name in wanted]
    code = matrix.OURS_WARM if "--warm" in args else matrix.OURS
    matrix.DATA.mkdir(parents=True, exist_ok=True)
    prepared = {shape.name: matrix.prepare(shape, scale) for shape in shapes}
    best = {}
    for r in range(rounds):
        for shape in shapes:
            root, source, extra, expected, _ = prepared[shape.name]
            order = ALLOCATORS[r % 3:] + ALLOCATORS[:r % 3]
            for allocator in order:
                os.environ["ARROW_DEFAULT_MEMORY_POOL"] = allocator
                result = matrix.run(matrix.OURS_NAME, sys.executable, code, root, source, 1024, extra)
                del os.environ["ARROW_DEFAULT_MEMORY_POOL"]
                if "error" in result or result["check"] != expected:
                    raise SystemExit(f"{shape.name} / {allocator}: {result}")
                key = (shape.name, allocator)
                best[key] = min(best.get(key, float("inf")), result["s"])
                print(f"round {r + 1}: {shape.name} / {allocator}: {result['s']:.3f} s",
                      file=sys.stderr, flush=True)
    print("| shape | " + " | ".join(ALLOCATORS) + " |")
    print("|---|" + "---:|" * len(ALLOCATORS))
    for shape in shapes:
        base = best[(shape.name, "mimalloc")]
        cells = [f"{best[(shape.name, a)]:.3f} ({best[(shape.name, a)] / base:.2f}x)" for a in ALLOCATORS]
        print(f"| {shape.name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
