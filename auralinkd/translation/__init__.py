"""Translation through the provider stack (spec TranslationService): the spec's 38 languages."""
