import nbformat
import nbval_policy


def test_stderr_is_dropped_and_everything_else_kept():
    outputs = [
        nbformat.v4.new_output("stream", name="stderr", text="E0000 cuInit failed\n"),
        nbformat.v4.new_output("stream", name="stdout", text="23\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "64"}, execution_count=1),
    ]
    kept = nbval_policy.drop_stderr(outputs)
    assert [o.get("name", o["output_type"]) for o in kept] == ["stdout", "execute_result"]


def test_nbval_comparison_ignores_stderr_but_not_stdout():
    from nbval.plugin import IPyNbCell

    assert nbval_policy.install() and IPyNbCell.compare_outputs._drops_stderr

    class Cell:  # the attributes compare_outputs reads
        colors = type("C", (), {"FAIL": "", "OKBLUE": "", "ENDC": "", "OKGREEN": ""})()
        parent = type("P", (), {"skip_compare": ("metadata", "output_type", "name", "execution_count")})()
        comparison_traceback = []

        def sanitize(self, s):
            return s

        def format_output_compare(self, key, left, right):
            self.comparison_traceback.append(key)

    out = lambda name, text: nbformat.v4.new_output("stream", name=name, text=text)  # noqa: E731
    ref = [out("stderr", "late log line\n"), out("stdout", "23\n")]
    assert IPyNbCell.compare_outputs(Cell(), [out("stdout", "23\n")], ref)
    assert not IPyNbCell.compare_outputs(Cell(), [out("stdout", "24\n")], ref)
