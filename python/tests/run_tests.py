"""run_tests.py: the ctest test `test_python`: install the package as a user would (a venv with the
system site packages, `pip install --no-build-isolation .` from the repository root, no index),
reusing the CMake build it is run from, then run the pytest suite against the installed package.

    /usr/bin/python3 python/tests/run_tests.py BUILD_DIR [pytest arguments...]
"""
import os
import subprocess
import sys
import venv

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = os.path.abspath(sys.argv[1])
    env_dir = os.path.join(build, "python-venv")
    python = os.path.join(env_dir, "bin", "python")
    if not os.path.exists(python):
        venv.EnvBuilder(system_site_packages=True, with_pip=True, clear=True).create(env_dir)
    env = dict(os.environ, OPENMED_C_CMAKE_BUILD_DIR=build, PIP_DISABLE_PIP_VERSION_CHECK="1",
               PIP_NO_CACHE_DIR="1", PIP_NO_INDEX="1")
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-build-isolation", "--force-reinstall",
                    "--no-deps", ROOT], env=env, check=True, cwd=ROOT)
    env.update(OPENMED_FIXTURES=os.path.join(build, "fixtures"), OPENMED_CLI=os.path.join(build, "bin", "openmed"),
               OPENMED_C_EXPECT_INSTALLED=env_dir)
    for var in ("OPENMED_MODELS_MANIFEST", "OPENMED_MODELS_DIR", "OPENMED_POLICIES_DIR", "OPENMED_DEID_SECRET"):
        env.pop(var, None)
    tests = os.path.join(ROOT, "python", "tests")
    cmd = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", tests] + sys.argv[2:]
    return subprocess.run(cmd, env=env, cwd=build).returncode


if __name__ == "__main__":
    sys.exit(main())
