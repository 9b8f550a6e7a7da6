"""Command line: `workbench run` (monthly reports) and `workbench sample` (demo data)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from workbench import paths


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="workbench", description="Retail intelligence workbench.")
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser("run", help="execute the notebooks for one month and write the HTML reports")
    r.add_argument(
        "--month", help="report month YYYY-MM (default: last complete month in the data)"
    )
    r.add_argument(
        "--notebooks",
        nargs="+",
        metavar="NB",
        help="only these notebooks (stem, file name or number, e.g. 00 03_journeys)",
    )
    r.add_argument("--data-dir", help=f"folder of raw tables (default: {paths.RAW_DIR})")
    r.add_argument("--processed-dir", help=f"where outputs go (default: {paths.PROCESSED_DIR})")
    r.add_argument("--reports-dir", help=f"where reports go (default: {paths.REPORTS_DIR})")
    r.add_argument("--notebooks-dir", help=f"folder of notebooks (default: {paths.NOTEBOOKS_DIR})")
    r.add_argument("--seed", type=int, default=0, help="random seed passed to every notebook")
    r.add_argument("--kernel", default="workbench", help="Jupyter kernel (default: workbench)")
    r.add_argument("--profile", help="retailer profile YAML (default: retailer.yaml in the data folder)")
    r.add_argument("-p", "--parameter", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
                   help="notebook parameter for the notebooks that declare it (repeatable; "
                        "VALUE read as YAML: 30, true, [a, b])")
    r.add_argument("--engine", choices=("duckdb", "spark"),
                   help="engine of the event layer: duckdb (default, embedded) or spark "
                        "(master from WORKBENCH_SPARK_MASTER, else the profile's spark_master, "
                        "else local[*])")
    r.add_argument("-f", "--parameters-file", help="YAML file of notebook parameters {name: value}")
    r.add_argument("--one-at-a-time", action="store_true",
                   help="run the notebooks one after the other (default: two at once where their "
                        "inputs allow; one at a time: a lower peak memory, a longer run)")

    s = sub.add_parser("sample", help="generate the synthetic sample data with its planted truth")
    s.add_argument("--customers", type=int, default=20_000)
    s.add_argument("--months", type=int, default=12)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--out", default=None, help=f"output folder (default: {paths.RAW_DIR})")
    s.add_argument("--retailer", default="fashion", choices=("fashion", "grocery"),
                   help="which fictional retailer (default: fashion; grocery: another shape)")
    pr = sub.add_parser("profile", help="infer a retailer profile (commented YAML) from a data folder")
    pr.add_argument("--data-dir", required=True, help="folder of raw tables")
    pr.add_argument("--brand", required=True, help="the brand as written in the data (mentions.brand)")
    pr.add_argument("--out", required=True, help="profile file to write, e.g. DIR/retailer.yaml")
    c = sub.add_parser(
        "commit-notebook",
        help="execute notebooks on the sample and keep only # NBVAL_CHECK_OUTPUT outputs",
    )
    c.add_argument("notebooks", nargs="+", help="notebook files")
    c.add_argument("--no-execute", action="store_true", help="only strip outputs")
    c.add_argument("--kernel", default="workbench")
    im = sub.add_parser(
        "import", help="turn exports (GA4, Shopify, PrestaShop, Brevo, Mailchimp, Talkwalker, "
        "Brandwatch, Digimind) into raw tables, appended without duplicate keys",
    )
    im.add_argument("format", choices=("ga4", "shopify", "prestashop", "brevo", "mailchimp",
                                       "talkwalker", "brandwatch", "digimind"))
    im.add_argument("files", nargs="+", metavar="FILE", help="export files of that format")
    im.add_argument("--out", required=True, help="data folder to append to, e.g. data/raw")
    im.add_argument("--brand", help="listening exports: the brand the export is about")
    im.add_argument("--profile", help="retailer profile (default: OUT/retailer.yaml if present)")
    sc = sub.add_parser(
        "screenshots", help="PNG screenshots of every page of a month's report (headless Chromium)"
    )
    sc.add_argument("--month", help="report month YYYY-MM (default: the latest month reported)")
    sc.add_argument("--reports-dir", help=f"where reports are (default: {paths.REPORTS_DIR})")
    return p


def _screenshots(args) -> int:
    """`workbench screenshots`: reports/<month>/screenshots/*.png, or one clear message."""
    import re

    from workbench import screenshots

    reports = Path(args.reports_dir or paths.REPORTS_DIR)
    month = args.month or max((d.name for d in reports.glob("[0-9]" * 4 + "-[0-9][0-9]")
                               if d.is_dir()), default=None)
    if month is None:
        print(f"workbench screenshots: no monthly report in {reports} (run `make report` first)",
              file=sys.stderr)
        return 2
    if not re.fullmatch(r"\d{4}-\d{2}", month):
        print(f"workbench screenshots: --month must be YYYY-MM, got {month!r}", file=sys.stderr)
        return 2
    month_dir = reports / month
    try:
        shots = screenshots.screenshot_month(month_dir)
    except screenshots.ScreenshotError as exc:
        print(f"workbench screenshots: {exc}", file=sys.stderr)
        return 2
    print(f"{len(shots)} screenshot(s) in {month_dir / 'screenshots'}")
    return 0


def _run_parameters(path, pairs) -> dict:
    """Notebook parameters from `-f params.yaml` then `-p NAME VALUE` (values read as YAML, as
    papermill's -y does: 30 is a number, true a boolean, [a, b] a list)."""
    import yaml

    params = {}
    if path:
        try:
            loaded = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ValueError(f"parameters file {path}: {exc}") from None
        if not isinstance(loaded, dict):
            raise ValueError(f"parameters file {path}: expected a mapping name: value")
        params.update(loaded)
    for name, value in pairs:
        try:
            params[name] = yaml.safe_load(value)
        except yaml.YAMLError:
            params[name] = value
    return params


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "screenshots":
        return _screenshots(args)
    if args.command == "sample":
        from workbench import sample

        out = args.out or paths.RAW_DIR
        sample.generate(out, customers=args.customers, months=args.months, seed=args.seed,
                        retailer=args.retailer)
        print(f"sample written to {out}")
        return 0
    if args.command == "profile":
        from workbench import profile

        try:
            prof = profile.infer_profile(args.data_dir, args.brand)
            written = profile.write_profile(prof, args.out)
        except (profile.ProfileError, OSError) as exc:
            print(f"workbench profile: {exc}", file=sys.stderr)
            return 2
        print(f"profile written to {written}: review it (comments « À vérifier »)")
        return 0

    if args.command == "import":
        from workbench import datasets, importers

        try:
            report = importers.import_files(args.format, args.files, args.out, brand=args.brand,
                                            profile=args.profile)
        except (datasets.DataError, ValueError, OSError) as exc:
            print(f"workbench import: {exc}", file=sys.stderr)
            return 2
        print("\n".join(report.lines()))
        return 0

    from workbench import datasets, runner

    if args.command == "commit-notebook":
        for nb in args.notebooks:
            runner.prepare_for_commit(nb, execute=not args.no_execute, kernel=args.kernel)
            print(f"{nb}: ready to commit")
        return 0

    try:
        parameters = _run_parameters(args.parameters_file, args.parameter)
        result = runner.run(
            month=args.month,
            notebooks=args.notebooks,
            data_dir=args.data_dir,
            processed_dir=args.processed_dir,
            reports_dir=args.reports_dir,
            notebooks_dir=args.notebooks_dir,
            seed=args.seed,
            kernel=args.kernel,
            engine=args.engine,
            profile=args.profile,
            parameters=parameters,
            parallel=not args.one_at_a_time,
        )
    except (datasets.DataError, ValueError, runner.RunError, OSError) as exc:
        print(f"workbench run: {exc}", file=sys.stderr)
        return 2
    print(result.report_dir / "index.html")
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
