"""make report-demo: an HTML report rendered by headless Chromium to a small PNG.

usage: render_report.py REPORT.html OUT.png [WIDTH HEIGHT]

The PNG is what a person sees when opening the report (README screenshot); it is
reduced to a 256-colour palette so it stays small in the repository.
"""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image


def main() -> None:
    html, png = Path(sys.argv[1]).resolve(), Path(sys.argv[2])
    width, height = (int(v) for v in sys.argv[3:5]) if len(sys.argv) >= 5 else (1040, 1000)
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("render_report.py: chromium is not installed (apt-get install chromium)")
    with tempfile.TemporaryDirectory() as profile:
        raw = Path(profile) / "raw.png"
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                        f"--user-data-dir={profile}", f"--window-size={width},{height}",
                        f"--screenshot={raw}", html.as_uri()],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        image = Image.open(raw).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
        png.parent.mkdir(parents=True, exist_ok=True)
        image.save(png, optimize=True)
    print(f"{png}: {png.stat().st_size // 1024} KiB, {width}x{height}")


if __name__ == "__main__":
    main()
