"""Images for vision models, and documents read through them.

`images`: image messages, vision checks, the servers' "no images" answers;
`ocr`: documents (images or PDF pages) to text or to fields of a schema.
"""
