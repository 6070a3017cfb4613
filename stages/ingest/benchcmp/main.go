package main
import ("os";"time";"fmt";"github.com/spotlake/spotlake/stages/ingest/gen")
func main(){
 day:=time.Date(2026,11,21,0,0,0,0,time.UTC)
 for _,f:=range []string{"cowrie","vpcflow"}{
  n,err:=gen.WriteCorpus(os.Stdout,f,3000,1,day); fmt.Fprintln(os.Stderr,f,n,err)}
}
