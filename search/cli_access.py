"""Command line for restricted documents: who may see a document, and keys for the keys file.

Thin wrappers like the rest of search.cli, whose group they join (see register).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from search.model import group_names


def parse_groups(value: str) -> tuple[str, ...]:
    """Group names from a comma-separated option; BadParameter says what is wrong."""
    try:
        return group_names(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--audience") from exc


@click.command("audience")
@click.argument("doc_id")
@click.option("--set", "groups", default=None, help="Comma-separated groups, e.g. board,dsl.")
@click.option("--open", "open_", is_flag=True, help="Open the document to everyone.")
@click.option("--corpus", "corpus_dir", type=click.Path(path_type=Path), help="Corpus folder.")
@click.option("--index", "index_dir", type=click.Path(path_type=Path), help="Index folder.")
def audience(
    doc_id: str,
    groups: str | None,
    open_: bool,
    corpus_dir: Path | None,
    index_dir: Path | None,
) -> None:
    """Show or set who may see document DOC_ID, without embedding anything again.

    The audience is kept in the file's sidecar (FILE.meta.json) and in the index; a
    running service picks the change up by itself. With neither option, print it.

    \b
    Examples:
      python -m search audience board-minutes --set board,dsl
      python -m search audience board-minutes --open
      python -m search audience board-minutes
    """
    from search.cli_common import friendly_errors, load_settings

    @friendly_errors
    def run() -> None:
        from search.index.store import load_index
        from search.index.update import set_audience

        settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
        if groups is not None and open_:
            raise click.UsageError("use --set GROUPS or --open, not both")
        if groups is None and not open_:
            docs = {d.id: d for d in load_index(settings.index_dir).documents}
            if doc_id not in docs:
                raise click.ClickException(f"no document {doc_id!r} in the index")
            click.echo(", ".join(docs[doc_id].audience) or "(everyone)")
            return
        wanted = () if open_ else parse_groups(groups or "")
        if not wanted and not open_:
            raise click.BadParameter("name at least one group, or use --open", param_hint="--set")
        doc = set_audience(doc_id, wanted, settings.corpus_dir, settings.index_dir)
        click.echo(f"{doc.id}: {', '.join(doc.audience) or 'everyone'}")

    run()


@click.command("hash-key")
@click.option(
    "--scheme",
    type=click.Choice(["scrypt", "sha256"]),
    default="scrypt",
    show_default=True,
    help="scrypt: salted and slow (about 80 ms the first time a key is seen); sha256: "
    "enough for a long random key.",
)
@click.option("--generate", is_flag=True, help="Make a random key and print it too.")
def hash_key(scheme: str, generate: bool) -> None:
    """Print the hash of an API key, for the keys file (SEARCH_KEYS_FILE).

    The key is read from standard input (or typed at a prompt that does not echo it),
    never from the command line, where shell history and `ps` would keep it.

    \b
    Examples:
      python -m search hash-key                      # type the key
      printf %s "$KEY" | python -m search hash-key
      python -m search hash-key --generate --scheme sha256
    """
    from search.api.access import hash_key as make_hash
    from search.api.access import new_key

    if generate:
        key = new_key()
        click.echo(f"key:  {key}", err=True)
    elif sys.stdin.isatty():
        key = click.prompt("API key", hide_input=True, confirmation_prompt=True)
    else:
        key = sys.stdin.read().strip()
    if len(key) < 16:
        raise click.ClickException("the key is too short: use at least 16 characters")
    click.echo(make_hash(key, scheme))
