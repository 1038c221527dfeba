"""Source-checkout tools: the documentation generator, the specification extractor and the citation extractor.

They read docs/, examples/ and tests/ of a checkout, so they are not part of the installed package.
"""
