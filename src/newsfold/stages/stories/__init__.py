"""Story grouping: distinct articles that report the same event, whatever their outlet.

    from newsfold.stages.stories import StoryConfig, StoryGrouper, story_tables
    grouper = StoryGrouper(StoryConfig())        # or StoryGrouper.load(folder)
    grouper.add_many(articles)                   # Article records with article_id set
    result = grouper.result(refine=True)
    grouper.save(folder)
    tables = story_tables(result)                # {"stories": ..., "story_sentences": ...}
    write_story_tables(grouper.iter_stories(), folder)   # the same tables, streamed

Stories that can no longer grow are closed and spilled to disk, so memory stays bounded on a long
stream; ``grouper.rename`` and ``grouper.result(only=...)`` serve adding to an existing corpus.

See docs/stories.md for the method.
"""
from importlib import import_module

from newsfold.stages.stories.config import StoryConfig

# the rest is imported on first use: settings (and a run with nothing new) need no scikit-learn
_WHERE = {"StoryInfo": ".result", "StoryResult": ".result", "story_tables": ".result",
          "write_story_tables": ".result", "StoryState": ".state", "StoryGrouper": ".stream"}


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_WHERE[name], __name__), name)


__all__ = ["StoryConfig", "StoryGrouper", "StoryInfo", "StoryResult", "StoryState", "story_tables",
           "write_story_tables"]
