import pytest

from codeassist.pipeline.language import detect


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("write a python function that reverses a string", "python"),
        ("a function that checks whether a number is prime", "python"),
        ("class for a binary tree with insert and search", "python"),
        ("find all files larger than 100MB in this directory", "shell"),
        ("list the 10 biggest folders here", "shell"),
        ("kill the process listening on port 8080", "shell"),
        ("compress the logs directory into a tar.gz", "shell"),
        ("show the last 5 git commits", "shell"),
        ("count customers per country in the customers table", "sql"),
        ("select all orders above 100 dollars", "sql"),
        ("average salary of employees grouped by department", "sql"),
        ("bash one-liner to count lines in all .py files", "shell"),
        ("sqlite query for the newest 3 rows", "sql"),
    ],
)
def test_obvious_requests_get_the_right_language(request_text: str, expected: str) -> None:
    assert detect(request_text) == expected
