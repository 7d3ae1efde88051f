"""The adapter for site generators that only read Markdown files (Zensical).

Zensical runs none of our MkDocs plugin, so ``pmtheater render`` writes every
page the plugin would publish into ``docs_dir`` before the build; ``writer``
puts those files in place without ever touching a file it did not write.
"""
