"""The command's options and what runs them are two tables: every subcommand has both."""

import pytest

from pwc import cli, cli_args


def test_every_subcommand_has_a_handler_and_options():
    assert list(cli.HANDLERS) == list(cli_args.COMMANDS)


@pytest.mark.parametrize(
    "argv",
    [
        ["score", "--json"],
        ["pwned"],
        ["predict", "a", "b"],
        ["predict-dask", "a", "--output", "o"],
        ["serve"],
    ],
)
def test_each_subcommand_parses(argv):
    assert cli_args.parser().parse_args(argv).command == argv[0]


def test_an_unknown_subcommand_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        cli_args.parser().parse_args(["scor"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err
