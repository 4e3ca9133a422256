'use strict';
// Leak: the classic shared-closure-context chain (the "Meteor" leak). `unused` and `someMethod`
// share one Context per call; `unused` mentions `originalThing`, so the context keeps the previous
// thing alive, and each thing's `someMethod` keeps its context: a chain of 200 big arrays.
const { snapshot, out } = require('./_snapshot');

let theThing = null;

function replaceThing(round) {
  const originalThing = theThing;
  const unused = function unused() {
    if (originalThing) return 'hi';
    return round;
  };
  theThing = {
    bigData: new Array(1000).fill(round), // 1,000 smis: ~8 KB of elements
    someMethod: function someMethod() {
      return round;
    },
  };
  return unused;
}

for (let i = 0; i < 200; i++) replaceThing(i);
snapshot(out());
