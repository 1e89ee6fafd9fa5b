#!/usr/bin/env python3
"""Checks that each layer of src/ uses only the layers below it, and that no module imports
form a cycle. Reads `crate::...` paths in code (comments and doc comments are skipped).

Test modules are not read. The layers, bottom first, as src/lib.rs declares them: the shared types at the top of src/,
then settings, deflate, transport, blocking, worker, named."""
import pathlib
import re
import sys

LAYERS = ["settings", "deflate", "transport", "blocking", "worker", "named"]
SRC = pathlib.Path(__file__).resolve().parent.parent / "src"


def rank(layer):
    return LAYERS.index(layer) + 1 if layer in LAYERS else 0


def module_of(path):
    parts = path.relative_to(SRC).with_suffix("").parts
    if parts[-1] == "mod":
        parts = parts[:-1]
    return "::".join(parts) or "lib"


def layer_of(module):
    head = module.split("::")[0]
    return head if head in LAYERS else "shared"


def code_lines(text):
    """The lines of production code: comments are skipped, and a file's test module (the
    `#[cfg(test)] mod tests` at its end) is not read, since tests may reach across."""
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        stripped = line.strip()
        if stripped == "#[cfg(test)]" and number < len(lines) and lines[number].startswith("mod tests"):
            return
        if stripped.startswith("//"):
            continue
        yield number, line.split("//")[0]


def main():
    problems = []
    edges = {}
    for path in sorted(SRC.rglob("*.rs")):
        module = module_of(path)
        # The crate root and the fuzzing entry points sit above every layer.
        if module in ("lib", "fuzzing"):
            continue
        mine = layer_of(module)
        for number, line in code_lines(path.read_text()):
            for target in re.findall(r"crate::((?:[a-z_][a-z0-9_]*::)*[a-z_][a-z0-9_]*)", line):
                head = target.split("::")[0]
                if head in LAYERS or (SRC / f"{head}.rs").exists():
                    theirs = layer_of(target)
                    if theirs == "shared" and not (SRC / f"{head}.rs").exists():
                        continue
                    if rank(theirs) > rank(mine):
                        problems.append(
                            f"{path.relative_to(SRC.parent)}:{number}: {mine} uses {theirs} (crate::{target})"
                        )
                    dep = head if theirs == "shared" else "::".join(target.split("::")[:2])
                    if dep != module:
                        edges.setdefault(module, set()).add(dep)
    # Cycles between modules (Tarjan's strongly connected components).
    index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                sccs.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            visit(v)
    for component in sccs:
        problems.append("import cycle: " + " -> ".join(component))
    for problem in problems:
        print(problem)
    top = [p.name for p in SRC.glob("*.rs")]
    print(f"{len(top)} files at the top of src/; {len(problems)} layer problems")
    if len(top) > 12:
        print("more than 12 files at the top of src/")
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
