"""Which allocator a merge should run on: the same upsert in fresh processes under Arrow's
mimalloc (the wheel's default), with and without purging, jemalloc (its compiled-in decay,
and without decay) and the system allocator, interleaved, on shapes of bench_matrix. Each
variant is a process environment: ARROW_DEFAULT_MEMORY_POOL for the process's default pool,
MIMALLOC_* / JE_ARROW_MALLOC_CONF for the allocator's settings (read when libarrow
loads), FSSPECKIT_MEMORY_POOL for the operation pool alone; "as built" sets nothing, so the
build's own choice runs.

    .venv/bin/python bench/bench_allocator.py [--rounds N] [--scale F] [--shapes a,b]
                                              [--variants a,b] [--warm]

--warm: the merge in a process that has merged before (bench_matrix's "fsspeckit warm").
Prints best wall seconds (and least CPU seconds) per shape and variant, with each
variant's ratio to the first one listed.
"""

import os
import sys

import bench_matrix as matrix

VARIANTS = {
    "as built": {},
    "mimalloc": {"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"},
    "mimalloc no purge": {"ARROW_DEFAULT_MEMORY_POOL": "mimalloc", "MIMALLOC_PURGE_DELAY": "-1"},
    "jemalloc": {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"},
    "jemalloc no decay": {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc",
                          "JE_ARROW_MALLOC_CONF": "dirty_decay_ms:-1,muzzy_decay_ms:-1"},
    "jemalloc thp": {"ARROW_DEFAULT_MEMORY_POOL": "jemalloc", "JE_ARROW_MALLOC_CONF": "thp:always"},
    # Operations on jemalloc, the rest of the process on the default pool (mimalloc).
    "operations on jemalloc": {"FSSPECKIT_MEMORY_POOL": "jemalloc"},
    "system": {"ARROW_DEFAULT_MEMORY_POOL": "system"},
}


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
    names = list(VARIANTS)
    if "--variants" in args:
        names = args[args.index("--variants") + 1].split(",")
    code = matrix.OURS_WARM if "--warm" in args else matrix.OURS
    matrix.DATA.mkdir(parents=True, exist_ok=True)
    prepared = {shape.name: matrix.prepare(shape, scale) for shape in shapes}
    settings = ["ARROW_DEFAULT_MEMORY_POOL", "MIMALLOC_PURGE_DELAY", "JE_ARROW_MALLOC_CONF",
                "FSSPECKIT_MEMORY_POOL"]
    saved = {name: os.environ.pop(name) for name in settings if name in os.environ}
    runs = {}
    for r in range(rounds):
        for shape in shapes:
            root, source, extra, expected, _ = prepared[shape.name]
            order = names[r % len(names):] + names[:r % len(names)]  # who goes first rotates
            for name in order:
                os.environ.update(VARIANTS[name])
                result = matrix.run(matrix.OURS_NAME, sys.executable, code, root, source, 1024, extra)
                for variable in VARIANTS[name]:
                    del os.environ[variable]
                if "error" in result or result["check"] != expected:
                    raise SystemExit(f"{shape.name} / {name}: {result}")
                runs.setdefault((shape.name, name), []).append(result)
                print(f"round {r + 1}: {shape.name} / {name}: {result['s']:.3f} s, "
                      f"{result['cpu_s']:.2f} CPU s, {result['faults']} faults", file=sys.stderr, flush=True)
    os.environ.update(saved)
    for key, what in (("s", "Wall seconds, best round"), ("cpu_s", "CPU seconds, least"),
                      ("faults", "Minor page faults, least")):
        print(f"\n{what} (in brackets: the ratio to {names[0]}):\n")
        print("| shape | " + " | ".join(names) + " |")
        print("|---|" + "---:|" * len(names))
        for shape in shapes:
            least = {n: min(r[key] for r in runs[(shape.name, n)]) for n in names}
            base = least[names[0]]
            print(f"| {shape.name} | " + " | ".join(
                f"{least[n]:.3f} ({least[n] / base:.2f}x)" if key != "faults" else
                f"{least[n]:,} ({least[n] / max(base, 1):.2f}x)" for n in names) + " |")
    print("\nEvery round, wall seconds:\n")
    for shape in shapes:
        print(f"- {shape.name}: " + "; ".join(
            n + " " + ", ".join(f"{r['s']:.3f}" for r in runs[(shape.name, n)]) for n in names))


if __name__ == "__main__":
    main()
