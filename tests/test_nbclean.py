import nbformat

from utils.nbclean import clean_notebook, clean_outputs, main

TF_LINES = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795431131.310975    4990 cudart_stub.cc:31] Could not find cuda drivers on your machine.\n"
    "E0000 00:00:1795431133.500785    4990 cuda_platform.cc:52] failed call to cuInit: UNKNOWN ERROR (303)\n"
)


def _stream(name, text):
    return nbformat.v4.new_output("stream", name=name, text=text)


def test_tf_log_lines_and_widgets_go_other_output_stays():
    widget = nbformat.v4.new_output(
        "display_data",
        data={"application/vnd.jupyter.widget-view+json": {"model_id": "x"}, "text/plain": "100%"},
    )
    outputs = [
        _stream("stderr", TF_LINES + "UserWarning: something real\n"),
        widget,
        _stream("stdout", "train: (60000, 28, 28)\n"),
        _stream("stdout", "done\n"),
    ]
    kept, removed = clean_outputs(outputs)
    assert removed == 4
    assert [(o["name"], o["text"]) for o in kept] == [
        ("stderr", "UserWarning: something real\n"),
        ("stdout", "train: (60000, 28, 28)\ndone\n"),
    ]


def test_clean_notebook_in_place(tmp_path, capsys):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("import tensorflow")
    cell.outputs = [_stream("stderr", TF_LINES), _stream("stdout", "ok\n")]
    nb.cells.append(cell)
    nb.metadata["widgets"] = {"state": {}}
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert main([str(path)]) == 0 and "removed 4" in capsys.readouterr().out
    again = nbformat.read(path, as_version=4)
    assert [o["name"] for o in again.cells[0].outputs] == ["stdout"] and "widgets" not in again.metadata
    assert clean_notebook(path) == 0  # idempotent
    assert main([]) == 2


def test_execution_timestamps_are_dropped_other_cell_metadata_stays(tmp_path):
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(
        "1 + 1",
        metadata={
            "execution": {
                "iopub.execute_input": "2026-12-03T02:25:41.794263Z",
                "shell.execute_reply": "2026-12-03T02:25:41.801000Z",
            },
            "tags": ["keep"],
        },
    )
    cell.outputs = [nbformat.v4.new_output("execute_result", data={"text/plain": "2"}, execution_count=1)]
    nb.cells.append(cell)
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    clean_notebook(path)
    first = path.read_bytes()
    again = nbformat.read(path, as_version=4)
    assert "execution" not in again.cells[0].metadata and again.cells[0].metadata["tags"] == ["keep"]
    clean_notebook(path)
    assert path.read_bytes() == first  # stable: a re-run with the same results changes nothing
