"""The bottom floor: the shared vocabulary every other part of greenroom speaks.

The brief, every artifact model (the same model is the structured-output
target, the REST response and the report's input), the engines' result models,
the model settings, and one vocabulary module (genres and their synonyms,
title keys, run statuses, step labels, business models). Nothing here imports
anything else of the project.
"""
