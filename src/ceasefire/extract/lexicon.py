"""The English words the rules read: what a quantity counts, what happened to it, who did it.

Each table is a compiled pattern; :mod:`ceasefire.extract.events` holds the rules that use them.
"""

from __future__ import annotations

import re
from typing import Final

_I = re.IGNORECASE

#: Missile models by class, as the Ukrainian air force classes them in its bulletins.
BALLISTIC: Final = re.compile(
    r"\b(?:ballistic|aeroballistic|Iskander-M|Iskanders?-M|KN-23|KN-24|Kinzhal|Kinzhals|Kh-47|"
    r"S-400|Zircon|Tsirkon|Oreshnik)\b",
    _I,
)
CRUISE: Final = re.compile(
    r"\b(?:cruise|Kh-101s?|Kh-555s?|Kh-55s?|Kalibrs?|Iskander-K)\b",
    _I,
)

#: The noun a quantity counts, and its class. Tried on the words right after the quantity.
NOUNS: Final = [
    ("drones", re.compile(
        r"(?:drones?|UAVs?|unmanned aerial vehicles?|unmanned aircraft|Shaheds?|Shahed-\d+s?|"
        r"Gerans?|Geran-\d+s?|Gerberas?|loitering munitions?|decoys?|kamikaze drones?)\b", _I)),
    ("missiles", re.compile(
        r"(?:missiles?|ballistic\b|cruise\b|Iskander-Ms?|Iskanders?|Kinzhals?|Kalibrs?|Kh-\d+s?|KN-23s?|Zircons?)\b",
        _I)),
    ("bombs", re.compile(r"(?:(?:guided |glide |aerial |air )*bombs?|KABs?)\b", _I)),
    ("people", re.compile(
        r"(?:people|persons?|civilians?|residents?|children|child|kids?|men|women|man|woman|"
        r"boys?|girls?|teenagers?|adolescents?|infants?|babies|baby|soldiers?|servicemen|"
        r"service members|police(?:men| officers?)|rescuers?|firefighters?|medics?|doctors?|"
        r"workers?|employees?|passengers?|pensioners?|elderly|others|inhabitants|"
        r"individuals|volunteers?|journalists?|family members|victims|occupants)\b", _I)),
    ("casualty", re.compile(
        r"(?:dead|killed|injured|wounded|hurt|deaths?|fatalities|casualties|injuries)\b", _I)),
    ("explosions", re.compile(r"(?:explosions?|blasts?|detonations?)\b", _I)),
    ("violations", re.compile(
        r"(?:ceasefire violations?|violations? of the ceasefire|violations?|breaches)\b", _I)),
    ("locations", re.compile(
        r"(?:locations?|sites?|places|spots|settlements?|towns?|villages?|communities|"
        r"populated (?:areas|places|localities)|localities|substations?|facilities|"
        r"(?:power |thermal )?(?:plants|stations)|depots|terminals|warehouses|enterprises|"
        r"refineries)\b", _I)),
    ("regions", re.compile(r"(?:regions?|oblasts?|provinces?)\b", _I)),
    ("homes", re.compile(
        r"(?:homes?|households?|houses?|buildings?|consumers?|subscribers?|apartments?|"
        r"flats?|customers?|cities|vehicles?|cars?)\b", _I)),
    ("hits", re.compile(r"(?:hits|impacts)\b", _I)),
]  # fmt: skip

#: Words between a quantity and its noun that may stand there ("400 long-range attack drones",
#: "29 missiles of various types"): anything but these, which end the noun phrase.
PHRASE_STOP: Final = re.compile(
    r"^(?:were|was|are|is|have|has|had|and|or|but|in|on|at|over|by|from|to|into|with|which|"
    r"that|who|while|including|as|after|before|since|during|across|near|of|the|than|for|"
    r"been|be|it|they|them|its|their|said|says|according)$",
    _I,
)

#: What happened to the weapons a quantity counts.
ROLES: Final = [
    ("destroyed", re.compile(
        r"\b(?:shot down|shooting down|downed|destroyed|destroying|intercepted|intercepting|"
        r"neutrali[sz]ed|neutrali[sz]ing|suppressed|eliminated|taken down|brought down|"
        r"repelled|repulsed|knocked out of the sky|jammed|defeated|disabled|shoots? down|"
        r"destroy|intercept|interceptions?)\b", _I)),
    ("lost", re.compile(
        r"\b(?:lost locally|locally lost|lost (?:from|on) (?:the )?radar|lost in location|"
        r"location-lost|lost\b|failed to reach|did not reach|went missing|disappeared)", _I)),
    ("hit", re.compile(
        r"\b(?:hit|hits|hitting|struck|striking|reached (?:their |its )?targets?|landed|impacts?|"
        r"crashed into|"
        r"slammed into|fell on|exploded|"
        r"strikes were recorded|got through|penetrated|slipped through)\b", _I)),
    ("launched", re.compile(
        r"\b(?:launch(?:ed|ing|es)?(?!\s+(?:by|from)\b)|fired(?!\s+(?:by|from)\b)|firing|used|"
        r"using|deploy(?:ed|ing)|sent|sending|"
        r"attack(?:ed|ing)|targeted|targeting|unleash(?:ed|ing)|involv(?:ed|ing)|comprising|"
        r"consisting of|totall?ing|employ(?:ed|ing)|detected|tracked|spotted|"
        r"flew|flying|attack involved|barrage of|wave of|salvo of)\b", _I)),
]  # fmt: skip

#: What happened to the people a quantity counts.
HARM: Final = [
    ("killed", re.compile(
        r"\b(?:killed|killing|kills|dead|died|dying|deaths?|death toll|lost their lives|"
        r"fatalities|fatally|bodies|perished|lives)\b", _I)),
    ("injured", re.compile(
        r"\b(?:injured|injuring|injures|injuries|wounded|wounding|hurt|hospitali[sz]ed|"
        r"casualties|suffered|sustained|treated|victims)\b", _I)),
    ("people_affected", re.compile(
        r"\b(?:without (?:power|electricity|heating|heat|water|gas|light|supply|running water)|"
        r"(?:power|electricity|heating|water) (?:cut|outages?|supply was cut)|blackouts?|"
        r"cut off|disconnected|de-energi[sz]ed|lost power|no power|no heating|"
        r"cut(?:ting)? (?:off )?(?:the )?(?:power|electricity|heating|heat|water|gas)|"
        r"left in the dark|evacuated)", _I)),
]  # fmt: skip
#: A "debris fell at N locations" is not a hit.
DEBRIS: Final = re.compile(r"\b(?:debris|fragments|wreckage|falling)\b", _I)

#: Words that make a quantity a part of the figure before it.
PART_BEFORE: Final = re.compile(
    r"(?:\bincluding|\bincluded|\bamong them|\bamong whom|\bamong which|\bof whom|\bof which|"
    r"\bof them|\bof these|\bof those|\bsuch as|\bnamely|\bof the [\d,]+ [\w-]+)[\s,:]*$",
    _I,
)
PART_AFTER: Final = re.compile(
    r"^\s*(?:(?:of|among) (?:them|these|those|whom|which)|were among|was among|are among|"
    r"among the)\b",
    _I,
)
#: An anaphoric count with no noun: "352 of them", "Of these, 352 were ...".
ANAPHOR_AFTER: Final = re.compile(
    r"^\s*(?:of (?:them|these|those|which|the \w+)|were|was|have been|had been|are|got)\b", _I
)
ANAPHOR_BEFORE: Final = re.compile(r"(?:\b(?:of|among) (?:them|these|those|which)\s*,?\s*)$", _I)
#: A figure that adds to the one before it ("another man", "two more people").
#: A figure said of the whole attack even where a place stands beside it ("injuring 23 across
#: three regions", "nine people across the country").
TOTAL_AFTER: Final = re.compile(
    r"\s*(?:[\w-]+\s+){0,2}?(?:across|throughout)\s+(?:the\s+)?(?:[\w-]+\s+)?(?:regions?|"
    r"oblasts?|country|Ukraine|provinces?)\b|\s*(?:in total|overall|nationwide|in all)\b",
    _I,
)
#: "the nine injured", "of the 11 injured": a figure named again.
REFERENCE_BEFORE: Final = re.compile(r"\b(?:the|all|all of the|of the)\s+$", _I)
#: "Among the injured are a boy and a woman": parts of a figure stated before.
AMONG_BEFORE: Final = re.compile(
    r"\bamong (?:the|those) (?:injured|dead|killed|wounded|victims|casualties|hospitali[sz]ed)"
    r"(?:\s+(?:are|were|was|is))?\s+(?:[\w-]+\s+){0,4}$",
    _I,
)
#: A harm verb right before a bare number: "injuring seven", "wounded 12", "killed three".
HARM_VERB_BEFORE: Final = re.compile(
    r"\b(?:killing|killed|kills|injuring|injured|injures|wounding|wounded|wounds|hurting|hurt)"
    r"(?:\s+(?:at least|more than|over|about|some|around|nearly|almost|up to))?\s+$",
    _I,
)
#: A figure of another time set against this one's: "compared with 510 in the previous period".
COMPARED: Final = re.compile(
    r"\b(?:compared (?:with|to)|up from|down from|versus|than the|than in|than on|"
    r"(?:an |the )?earlier (?:toll|figure|count|report)|(?:earlier|previously) reported|"
    r"had (?:earlier|previously) (?:reported|said|put)|raising (?:an|the) (?:earlier|previous)|"
    r"earlier[^.;]{0,45}\b(?:reported|said|put)|previously[^.;]{0,45}\b(?:reported|said))\b",
    _I,
)
#: A figure only feared or guessed: "around 20 people may be trapped".
MODAL: Final = re.compile(
    r"\b(?:may|might|could|feared|possibly|expected to|would|estimate[sd]?|ongoing|"
    r"(?:are|is|remain|remains) in the (?:air|airspace|sky))\b",
    _I,
)
#: A bare number continuing a list of counts: "... and nine over Voronezh region".
LIST_BEFORE: Final = re.compile(r"(?:,|\band|\bwhile|\bplus)\s+(?:another\s+)?$", _I)
#: What follows a bare number that continues a list: no noun of its own.
BARE: Final = re.compile(
    r"\s*(?:[,;.)]|$|(?:over|in|on|at|were|was|had|have|has|of|from|near|by|across|more|"
    r"others?|the rest|while|and)\b)",
    _I,
)
NEGATION: Final = re.compile(r"\s*(?:was|were|had|has|have)?\s*(?:not|never)\b", _I)
#: One weapon: "a Russian drone struck", "an S-300 missile", "the Iskander-M missile hit".
ONE_WEAPON: Final = re.compile(
    r"\b(?P<article>a|an|one|the|single|another)\s+(?:[\w-]+\s+){0,3}?(?P<noun>drone|UAV|Shahed|"
    r"missile|Iskander-M|Kinzhal|Kalibr)\b(?!-| of| and| or)",
    _I,
)
#: A person as the object of a harm verb: "killing the driver", "injuring a security guard".
ONE_OBJECT: Final = re.compile(
    r"\b(?P<verb>killing|killed|injuring|injured|wounding|wounded|hurting)\s+(?P<object>"
    r"(?:a|an|the|one|another)\s+(?:[\w'-]+\s+){0,3}?[a-z][\w'-]*)"
    r"(?=\s*[,.;)]|\s+(?:and|in|on|at|near|while|who|when|as|after|during|outside)\b|\s*$)",
    _I,
)
#: "neither missile was intercepted", "none of the drones was shot down": destroyed 0.
NONE_DESTROYED: Final = re.compile(
    r"\b(?:neither|none of the|no)\s+(?P<noun>missiles?|drones?)\s+(?:was|were)\s+"
    r"(?:intercepted|shot down|destroyed|downed)\b",
    _I,
)
#: Nobody hurt: "Nobody was killed", "no one was injured".
NOBODY: Final = re.compile(
    r"\b(?:nobody|no one|no-one|none)\s+(?:was\s+|were\s+|has been\s+|had been\s+)?"
    r"(?P<harm>killed|injured|hurt|wounded)\b",
    _I,
)
#: The qualifiers of :mod:`ceasefire.extract.numbers` by the wording of ``approximately``.
QUALIFIER_KIND: Final = {
    "over": "over", "more than": "over", "upwards of": "over", "in excess of": "over",
    "at least": "at least", "no fewer than": "at least", "no less than": "at least",
    "almost": "almost", "nearly": "almost", "close to": "almost", "just under": "almost",
    "about": "about", "around": "about", "approximately": "about", "roughly": "about",
    "some": "about", "an estimated": "about", "up to": "up to", "as many as": "up to",
}  # fmt: skip
#: A hit of a location ("17 settlements shelled", "hits at 11 locations").
LOCATION_HIT: Final = re.compile(
    r"\b(?:hit|hits|hitting|struck|strikes?|shell(?:ed|ing)|attacked|attacks?|targeted|damaged|"
    r"under (?:\w+ )?fire|fired (?:at|on|upon)|"
    r"reached|impacts?|landed)\b",
    _I,
)
ADDITIVE: Final = re.compile(r"\b(?:another|further|additional|also)\b|\bmore\b(?!\s+than)", _I)

#: "with 400 drones": the weapons of an attack, unless the words after them say otherwise.
WITH_BEFORE: Final = re.compile(
    r"\bwith\s+(?:a total of\s+)?(?:(?:[\w.-]+\s+){1,4}?[\w.-]+(?:,|\s+and)\s+)?$", _I
)
#: "The death toll rose to 14": a figure of the killed with no noun.
DEATH_TOLL: Final = re.compile(
    r"\b(?:death toll|number of (?P<harm>dead|killed|injured|wounded|injuries|casualties|"
    r"people (?:killed|injured|wounded)))\b(?:\s+(?:in|from|of|after)\s+[\w' -]{1,80}?)?"
    r"\s+(?:has\s+)?(?:rose|rises|risen|climbed|climbs|reached|reaches|increased|grew|stands|"
    r"stood|is|was|jumped)"
    r"(?:\s+(?:at|to))?\s+$",
    _I,
)
#: "There were no casualties": nobody killed and nobody injured; "recorded no violations".
NO_CASUALTIES: Final = re.compile(
    r"\b(?:there were |with )?no (?:casualties|victims|one was hurt)\b|\bno one was hurt\b", _I
)
THERE_AFTER: Final = re.compile(r"\s*(?:there|in [A-Z]\w+|at the (?:site|scene))\b")
#: "4 of the 6 missiles", "48 of 76 drones": the second figure is the total, launched.
OF_TOTAL_BEFORE: Final = re.compile(r"[\w,]+\s+(?:out\s+)?of\s+(?:the\s+)?$", _I)
#: "Three of the five missiles": a part named with its total.
OF_THE_TOTAL: Final = re.compile(r"\s+(?:out\s+)?of\s+(?:the\s+)?[\w,]+\s", _I)
#: A count per period is a rate ("2,700 drones a month", "40 missiles per week").
RATE_AFTER: Final = re.compile(
    r"(?:\s+[\w-]+){1,4}?\s+(?:a|per|each|every)\s+(?:day|week|month|year|night)\b", _I
)
NONE_RECORDED: Final = re.compile(
    r"\b(?:recorded|registered|observed|reported) no (?P<what>ceasefire violations|explosions)\b",
    _I,
)
#: One person: "a woman was killed", "an elderly man was injured".
ONE_PERSON: Final = re.compile(
    r"\b(?:a|an|one|another)\s+(?:[\w-]+\s+){0,3}?(?P<noun>man|woman|boy|girl|child|person|"
    r"civilian|resident|pensioner|teenager|driver|firefighter|rescuer|policeman|police officer|"
    r"soldier|serviceman|worker|employee|medic|volunteer|infant|baby|passer-by|journalist)\b",
    _I,
)

#: What a quantity that is no count is followed by (units, ages, times).
NOT_COUNT_AFTER: Final = re.compile(
    r"^(?:-[^\W\d_]|\s*(?:km|kilomet(?:re|er)s?|miles?|met(?:re|er)s?|m\b|degrees?|°|kV|kW|MW|"
    r"GW|per ?cent|percent|%|years?\b|year-old|hours?|hrs?|minutes?|mins?|seconds?|a\.m\.|p\.m\.|"
    r"am\b|pm\b|storeys?|stories|floors?|mm\b|cm\b|tons?|tonnes?|kg|hryvni|UAH|dollars|euros|"
    r"\$|times\b|o'clock|days?\b|weeks?\b|months?\b|st\b|nd\b|rd\b|th\b))",
    _I,
)
NOT_COUNT_BEFORE: Final = re.compile(
    r"(?:\bnumber|\bNo\.?|#|\bschool|\bhospital|\baged|\bage of|\bversion|\bunit|\bbuilding|"
    r"\bhouse|\bflight|\bbrigade|\broute|\bminus|\bkm|\bpage|\barticle|\bresolution|"
    r"\baged \d+(?:,| and)|\bages? \d+(?:,| and)|\bunit|\bblock|\bNo)\s*$",
    _I,
)

#: Who attacked: a party named as the doer of an attack, or the weapons or forces it owns.
_ATTACK_VERBS = (
    r"(?:launched|launches|launch|attacked|attacks|attack|struck|strikes|strike|fired|fires|"
    r"hit|hits|shelled|shells|shelling|pounded|targeted|targets|used|uses|use|sent|unleashed|"
    r"bombarded|bombed|carried out|conducted|hammered|assault|barrage|bombing|offensive|"
    r"onslaught|aggression)"
)
_OWNED = (
    r"(?:drones?|UAVs?|missiles?|strikes?|attacks?|shelling|artillery|bombs?|glide bombs|"
    r"forces|troops|army|military|aircraft|jets?|shells?|bombardment|barrage|fire|occupiers|"
    r"invaders|aviation|units|unmanned aerial vehicles|rockets|assault|offensive|aggression|"
    r"fighters|soldiers|armed forces|warplanes|helicopters|navy|fleet|gunners)"
)
_NOT_DOER = r"(?!(?:\w+\s+)?(?:defen[cs]es?|ministry|air force said|officials))"


#: "Russian military chiefs", "Ukrainian military officials": people who speak, not a doer.
_NOT_PEOPLE = (
    r"(?!\s+(?:chiefs?|leaders?|officials?|delegations?|counterparts|commanders?|spokes\w+|"
    r"intelligence|experts?|analysts?|bloggers?|sources?|command|said|says|reported))"
)


def _party(names: str, adjective: str) -> re.Pattern[str]:
    return re.compile(
        rf"\b(?:{names})(?:'s)?\s+{_NOT_DOER}(?:[\w-]+\s+){{0,2}}?{_ATTACK_VERBS}\b"
        rf"|\b(?:{adjective})[\s-]{_NOT_DOER}(?:[\w-]+\s+){{0,2}}?{_OWNED}\b{_NOT_PEOPLE}"
        rf"|\bby (?:{names}|(?:the )?(?:{adjective}) (?:forces|troops|army|military))\b",
        _I,
    )


PARTIES: Final = [
    (
        "RU",
        _party(
            r"Russia|Moscow|the Kremlin|Russian forces|Russian troops|the Russian army|"
            r"the enemy|enemy|the occupiers|occupiers|the invaders|the aggressor",
            r"Russian|Russia-launched|Russian-launched|enemy",
        ),
    ),
    (
        "UA",
        _party(
            r"Ukraine|Kyiv|Kiev|the Kyiv regime|the Kiev regime|Ukrainian forces|"
            r"Ukrainian troops|the Ukrainian army|the Armed Forces of Ukraine|the AFU",
            r"Ukrainian|Ukraine-launched|Ukrainian-launched|Kyiv's|Kiev's",
        ),
    ),
]

#: Words of an attack or its harm: a sentence without any names no event.
STRIKE: Final = re.compile(
    r"\b(?:attack\w*|strike\w*|struck|hit|drones?|missiles?|UAVs?|shell\w*|explosions?|blasts?|"
    r"killed|killing|injur\w*|wounded|dead|died|damaged|destroyed|fire|debris|bomb\w*|"
    r"artillery|mortar|without power|without heating|air defen[cs]es?|shot down|violations?|"
    r"Shaheds?|barrage|raid|hits|damage|impacts?|power outages?|blackouts?|death toll|"
    r"without (?:water|electricity|gas|heat))\b",
    _I,
)

#: Kinds of event by the words of its weapons (the first that matches).
KINDS: Final = [
    ("air_strike", re.compile(r"\b(?:glide bombs?|guided (?:aerial )?bombs?|KABs?|air ?strikes?|"
                              r"aerial bombs?|airstrikes?|warplanes?|aircraft dropped)\b", _I)),
    ("shelling", re.compile(r"\b(?:shell(?:ing|ed|s)?|artillery|mortars?|MLRS|Grad|howitzers?|"
                            r"multiple rocket|rocket launchers?|tank fire|cannon|HIMARS|rockets?)\b", _I)),
    ("drone_strike", re.compile(r"\b(?:drones?|UAVs?|Shaheds?|Gerans?|unmanned)\b", _I)),
    ("missile_strike", re.compile(r"\b(?:missiles?|Iskanders?|Kinzhals?|Kalibrs?)\b", _I)),
    ("small_arms", re.compile(r"\b(?:small[- ]arms|machine[- ]guns?|sniper|gunfire)\b", _I)),
    # an attack or strikes with no weapon named: a long-range attack, as such texts mean
    ("air_attack", re.compile(r"\b(?:air attacks?|air raids?|attacks?|strikes)\b", _I)),
]  # fmt: skip
