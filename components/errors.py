"""The one exception family of souverain, so callers can tell user mistakes apart."""


class SouverainError(Exception):
    """Something the user can fix; the message says what is wrong and how to fix it."""


def refuse_arguments(what: str, problems: list[str]) -> None:
    """Raise one SouverainError listing every problem of `what`'s arguments, if any."""
    if problems:
        raise SouverainError(
            f"{what} cannot be declared:\n"
            + "\n".join(f"  - {problem}" for problem in problems)
        )


class ConfigError(SouverainError):
    """The stack configuration is invalid; `problems` holds one line per problem."""

    def __init__(self, problems: list[str], stack_file: str | None = None):
        self.problems = problems
        self.stack_file = stack_file
        where = f" in {stack_file}" if stack_file else ""
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        lines = [f"{count} configuration {noun}{where}:"]
        lines += [f"  - {problem}" for problem in problems]
        super().__init__("\n".join(lines))


class ObjectStorageError(SouverainError):
    """Object Storage refused or failed a request; the message says what to do."""


class CredentialsRejectedError(ObjectStorageError):
    """Object Storage refused the S3 keys; callers add where the keys come from."""


class CloudInitError(SouverainError):
    """A server's cloud-init user data cannot be rendered as asked; says what to fix."""
