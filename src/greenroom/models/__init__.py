"""The model floor: how greenroom talks to a language model.

Providers and the embedded server (`llm`, `llama_server`, `model_files`), structured output under a JSON
schema (`structured`), best-of-n candidates (`candidates`), the fake model of tests and dry runs
(`fake_model`) and what each call costs (`costs`). The engines in `greenroom.tools` and the agents call
down to it; it knows nothing of launches, plans or interfaces.
"""
