/**
 * Small stop-word lists for English, French and German, accent-stripped and lower-cased like the tokens
 * they filter. Small on purpose: TF-IDF's max document frequency removes the rest of the
 * function words corpus by corpus, and a long list would eat real terms ("case", "point").
 */
const ENGLISH = `a about above after again against all also am an and any are as at be because been before
being below between both but by can cannot could did do does doing down during each either etc few
for from further had has have having he her here hers herself him himself his how however i if in
into is it its itself just may me might more most must my myself no nor not now of off on once only
or other our ours ourselves out over own same shall she should so some such than that the their
theirs them themselves then there these they this those through thus to too under until up upon us
very via was we were what when where whether which while who whom why will with within without
would yet you your yours yourself yourselves`;

const FRENCH = `a ai aie aient ainsi alors apres au aucun aucune aupres aussi autre autres aux avaient avais
avait avant avec avoir ayant c ca car ce ceci cela celle celles celui cependant ces cet cette ceux
chaque ci comme comment d dans de des deja depuis donc dont du elle elles en encore entre est et
etaient etait ete etre eu eux fait faire il ils j je jusqu l la le les leur leurs lors lorsque lui m
ma mais me meme memes mes moi mon n ne ni non nos notre nous on ont ou par parce pas peu peut plus
pour pourquoi puis qu quand que quel quelle quelles quels qui quoi s sa sans se selon ses si sien
soi soit son sont sous suis sur t ta tandis tant te tes toi ton tous tout toute toutes tres tu un
une vers voici voila vos votre vous y`;

const GERMAN = `aber alle allem allen aller alles als also am an auch auf aus bei beim bin bis bist da damit
dann das dass dem den denn der des die dies diese diesem diesen dieser dieses doch dort du durch ein
eine einem einen einer eines er es fur hat hatte haben ich ihr ihre im in ist ja jede jeder jedes
kann kein keine man mit muss nach nicht noch nur ob oder ohne sein seine sich sie sind so soll sowie
uber um und uns unter vom von vor war was weil wenn werden wie wir wird wo zu zum zur`;

export const STOP_WORDS: ReadonlySet<string> = new Set(`${ENGLISH} ${FRENCH} ${GERMAN}`.split(/\s+/).filter(Boolean));
